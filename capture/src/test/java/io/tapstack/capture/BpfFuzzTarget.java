package io.tapstack.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The BPF validator, interpreter and JIT under coverage-guided fuzzing. The input is a count
 * byte, that many 8-byte instructions ({@code code:16 jt:8 jf:8 k:32}, big-endian) and a frame.
 * Properties: the validator either refuses with {@link BpfValidationException} or the program is
 * valid; a valid program never throws in the interpreter or the JIT, on the frame whole, cut
 * short, or at an offset in a direct buffer; and the JIT's verdict equals the interpreter's
 * (every generated class is also checked by ASM's verifier, see {@link VerifyJitClasses}).
 */
class BpfFuzzTarget {

    @FuzzTest(maxDuration = "1h", maxExecutions = 10_000_000)
    void validateAndRun(byte[] input) {
        if (input.length == 0) return;
        int n = Math.min((input[0] & 0xff), (input.length - 1) / 8);
        ByteBuffer b = ByteBuffer.wrap(input);
        BpfInsn[] insns = new BpfInsn[n];
        for (int i = 0; i < n; i++) {
            int at = 1 + 8 * i;
            insns[i] = new BpfInsn(b.getShort(at) & 0xffff, input[at + 2] & 0xff, input[at + 3] & 0xff, b.getInt(at + 4));
        }
        byte[] frame = Arrays.copyOfRange(input, 1 + 8 * n, input.length);
        BpfProgram p;
        try {
            p = new BpfProgram(insns);
        } catch (BpfValidationException e) {
            assertTrue(!BpfValidator.isValid(insns));
            return;
        } catch (RuntimeException e) {
            fail("the validator threw " + e);
            return;
        }
        assertTrue(BpfValidator.isValid(insns));
        BpfFilter jit = BpfJit.compile(p);
        BpfFilter interp = p.interpreter();
        for (int caplen : new int[] {frame.length, frame.length / 2, 0}) {
            int wirelen = frame.length + (caplen & 7);
            assertEquals(interp.filter(frame, 0, caplen, wirelen), jit.filter(frame, 0, caplen, wirelen),
                    "JIT and interpreter differ, caplen " + caplen + "\n" + p.toDd());
        }
        ByteBuffer direct = ByteBuffer.allocateDirect(frame.length + 5);
        direct.put(5, frame);
        assertEquals(interp.filter(frame), jit.filter(direct, 5, frame.length, frame.length), "direct buffer\n" + p.toDd());
        assertEquals(interp.filter(frame), interp.filter(direct, 5, frame.length, frame.length));
        assertEquals(p.toDd(), BpfProgram.parse(p.toDd()).toDd(), "the -dd text round trip");
    }
}

package io.tapstack.capture;

import static io.tapstack.capture.Bpf.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/** The JIT and the interpreter agree on random valid programs over random packets. */
class BpfJitTest {
    static final int[] OPCODES = {
            RET | K, RET | A, LD | W | ABS, LD | H | ABS, LD | B | ABS, LD | W | LEN, LDX | W | LEN,
            LD | W | IND, LD | H | IND, LD | B | IND, LDX | MSH | B, LD | IMM, LDX | IMM,
            LD | MEM, LDX | MEM, ST, STX, JMP | JA,
            JMP | JGT | K, JMP | JGE | K, JMP | JEQ | K, JMP | JSET | K,
            JMP | JGT | X, JMP | JGE | X, JMP | JEQ | X, JMP | JSET | X,
            ALU | ADD | X, ALU | SUB | X, ALU | MUL | X, ALU | DIV | X, ALU | MOD | X, ALU | AND | X,
            ALU | OR | X, ALU | XOR | X, ALU | LSH | X, ALU | RSH | X,
            ALU | ADD | K, ALU | SUB | K, ALU | MUL | K, ALU | DIV | K, ALU | MOD | K, ALU | AND | K,
            ALU | OR | K, ALU | XOR | K, ALU | LSH | K, ALU | RSH | K, ALU | NEG, MISC | TAX, MISC | TXA};

    /** A random program that passes the validator. */
    static BpfProgram randomProgram(Random r) {
        int n = 1 + r.nextInt(r.nextBoolean() ? 12 : 80);
        List<BpfInsn> l = new ArrayList<>();
        for (int i = 0; i < n - 1; i++) {
            int code = OPCODES[r.nextInt(OPCODES.length)];
            int remaining = n - 2 - i; // instructions after the next one
            int k = randomK(r);
            switch (code) {
                case LD | MEM: case LDX | MEM: case ST: case STX: k = r.nextInt(MEMWORDS); break;
                case ALU | DIV | K: case ALU | MOD | K: if (k == 0) k = 1 + r.nextInt(9); break;
                case ALU | LSH | K: case ALU | RSH | K: k = r.nextInt(32); break;
                case JMP | JA: k = r.nextInt(remaining + 1); break;
                case LD | W | ABS: case LD | H | ABS: case LD | B | ABS: case LDX | MSH | B:
                case LD | W | IND: case LD | H | IND: case LD | B | IND:
                    if (r.nextInt(8) != 0) k = r.nextInt(72);
                    break;
                default: break;
            }
            int jt = 0, jf = 0;
            if (isConditionalJump(code)) {
                jt = r.nextInt(Math.min(255, remaining) + 1);
                jf = r.nextInt(Math.min(255, remaining) + 1);
            }
            l.add(new BpfInsn(code, jt, jf, k));
        }
        l.add(r.nextBoolean() ? BpfInsn.stmt(RET | A, 0) : BpfInsn.stmt(RET | K, randomK(r)));
        return new BpfProgram(l);
    }

    static int randomK(Random r) {
        switch (r.nextInt(5)) {
            case 0: return r.nextInt();
            case 1: return r.nextInt(3) - 1;
            case 2: return r.nextInt(64);
            case 3: return 1 << r.nextInt(32);
            default: return r.nextInt(256);
        }
    }

    static byte[] randomPacket(Random r) {
        byte[] b = new byte[r.nextInt(80)];
        r.nextBytes(b);
        if (r.nextBoolean()) for (int i = 0; i < b.length; i++) if (r.nextInt(3) == 0) b[i] = (byte) r.nextInt(4);
        return b;
    }

    @Test void jitAgreesWithInterpreterOnRandomPrograms() {
        Random r = new Random(0xB9F);
        int compiled = 0;
        for (int prog = 0; prog < 1500; prog++) {
            BpfProgram p = randomProgram(r);
            BpfFilter interp = p.interpreter();
            BpfFilter jit = BpfJit.compile(p);
            compiled++;
            for (int t = 0; t < 40; t++) {
                byte[] pkt = randomPacket(r);
                int caplen = pkt.length == 0 || r.nextInt(4) != 0 ? pkt.length : r.nextInt(pkt.length);
                int wirelen = r.nextBoolean() ? pkt.length : r.nextInt(2000);
                int expected = interp.filter(pkt, 0, caplen, wirelen);
                assertEquals(expected, jit.filter(pkt, 0, caplen, wirelen), () -> "program:\n" + p.toDump());
                ByteBuffer direct = ByteBuffer.allocateDirect(pkt.length + 3);
                direct.position(3);
                direct.put(pkt);
                assertEquals(expected, jit.filter(direct, 3, caplen, wirelen), () -> "program:\n" + p.toDump());
            }
        }
        assertEquals(1500, compiled);
    }

    @Test void programFilterUsesJitAndIsCached() {
        BpfProgram p = new BpfProgram(BpfInsn.stmt(RET | K, 5));
        BpfFilter f = p.filter();
        assertSame(f, p.filter());
        assertFalse(f instanceof BpfInterpreter, "expected generated class");
        assertTrue(f.getClass().isHidden());
        assertEquals(5, f.filter(new byte[0]));
    }

    @Test void longestProgramsCompileOrFallBack() {
        // 4096 instructions with conditional jumps: must still give the interpreter's verdicts.
        List<BpfInsn> l = new ArrayList<>();
        l.add(BpfInsn.stmt(LD | B | ABS, 0));
        for (int i = 0; i < 4093; i++) l.add(BpfInsn.jump(JMP | JEQ | K, i & 0xff, 0, 0));
        l.add(BpfInsn.stmt(ALU | ADD | K, 1));
        l.add(BpfInsn.stmt(RET | A, 0));
        BpfProgram p = new BpfProgram(l);
        BpfFilter f = BpfJit.compileOrInterpret(p);
        byte[] pkt = {7};
        assertEquals(8, f.filter(pkt));
        assertEquals(0, f.filter(new byte[0]));
    }

    /** Every class the JIT defines in these tests has passed ASM's CheckClassAdapter first. */
    @Test void everyGeneratedClassIsCheckedByAsm() {
        assertNotNull(BpfJit.inspector, "VerifyJitClasses is not installed");
        long before = VerifyJitClasses.VERIFIED.get();
        Random r = new Random(0xA53);
        for (int i = 0; i < 200; i++) BpfJit.compile(randomProgram(r));
        assertEquals(200, VerifyJitClasses.VERIFIED.get() - before);
        // and the class files themselves, straight from the generator
        for (int i = 0; i < 200; i++) VerifyJitClasses.check(BpfJit.generate(randomProgram(r)));
    }

    /** The check is not vacuous: a method that pops an empty stack is reported. */
    @Test void asmCheckRejectsABrokenClass() {
        ClassWriter cw = new ClassWriter(0);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC, "io/tapstack/capture/Broken", null, "java/lang/Object", null);
        MethodVisitor m = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "f", "()I", null, null);
        m.visitCode();
        m.visitInsn(Opcodes.IADD);
        m.visitInsn(Opcodes.IRETURN);
        m.visitMaxs(2, 0);
        m.visitEnd();
        cw.visitEnd();
        assertThrows(AssertionError.class, () -> VerifyJitClasses.check(cw.toByteArray()));
    }

    /** Branches beyond ±32 KiB of bytecode: ASM widens them, so such programs still compile. */
    @Test void farJumpsCompile() {
        List<BpfInsn> l = new ArrayList<>();
        l.add(BpfInsn.stmt(LD | W | LEN, 0));
        l.add(BpfInsn.jump(JMP | JEQ | K, 0, 0, 1));        // wirelen 0: to the JA, else over it
        l.add(BpfInsn.stmt(JMP | JA, 3000));                 // over ~50 KiB of bytecode to the RET
        for (int i = 0; i < 3000; i++) l.add(BpfInsn.stmt(LD | B | ABS, 0)); // each may go to reject, at the end
        l.add(BpfInsn.stmt(RET | A, 0));
        BpfProgram p = new BpfProgram(l);
        assertTrue(BpfJit.generate(p).length > 2 * 32_768, "program too short to need wide jumps");
        BpfFilter jit = BpfJit.compile(p);
        BpfFilter interp = p.interpreter();
        byte[] pkt = {7, 8, 9};
        for (int caplen = 0; caplen <= 3; caplen++) {
            for (int wirelen : new int[] {0, caplen, 60}) {
                int expected = interp.filter(pkt, 0, caplen, wirelen);
                assertEquals(expected, jit.filter(pkt, 0, caplen, wirelen), "caplen " + caplen + " wirelen " + wirelen);
                assertEquals(expected, jit.filter(ByteBuffer.wrap(pkt), 0, caplen, wirelen));
            }
        }
        assertEquals(7, jit.filter(pkt));
        assertEquals(0, jit.filter(pkt, 0, 0, 60)); // rejected by the first load's far branch
    }
}

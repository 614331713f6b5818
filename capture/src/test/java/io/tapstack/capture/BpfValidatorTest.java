package io.tapstack.capture;

import static io.tapstack.capture.Bpf.*;
import static io.tapstack.capture.BpfInsn.jump;
import static io.tapstack.capture.BpfInsn.stmt;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class BpfValidatorTest {
    static final BpfInsn RET1 = stmt(RET | K, 1);

    static void accept(BpfInsn... p) { assertDoesNotThrow(() -> BpfValidator.validate(p)); }

    static String reject(BpfInsn... p) {
        return assertThrows(BpfValidationException.class, () -> BpfValidator.validate(p)).getMessage();
    }

    @Test void acceptsSimplePrograms() {
        accept(RET1);
        accept(stmt(RET | A, 0));
        accept(stmt(LD | H | ABS, 12), jump(JMP | JEQ | K, 0x800, 0, 1), RET1, stmt(RET | K, 0));
        accept(jump(JMP | JA, 1, 0, 0), RET1, RET1);
        accept(stmt(LD | MEM, 15), stmt(ST, 0), stmt(STX, 15), stmt(LDX | MEM, 15), RET1);
        accept(stmt(ALU | DIV | K, 1), stmt(ALU | MOD | K, 7), stmt(ALU | LSH | K, 31), stmt(ALU | RSH | K, 0), RET1);
        accept(stmt(ALU | DIV | X, 0), RET1); // X may be zero: checked at run time
    }

    @Test void rejectsEmptyAndTooLong() {
        assertTrue(reject().contains("empty"));
        BpfInsn[] max = new BpfInsn[MAXINSNS];
        java.util.Arrays.fill(max, RET1);
        accept(max);
        BpfInsn[] tooLong = new BpfInsn[MAXINSNS + 1];
        java.util.Arrays.fill(tooLong, RET1);
        assertTrue(reject(tooLong).contains("too long"));
    }

    @Test void rejectsMissingFinalRet() {
        assertTrue(reject(stmt(LD | IMM, 1)).contains("last instruction"));
        assertTrue(reject(RET1, stmt(LD | IMM, 1)).contains("last instruction"));
    }

    @Test void rejectsBadJumps() {
        assertTrue(reject(jump(JMP | JA, 1, 0, 0), RET1).contains("ja target"));
        assertTrue(reject(jump(JMP | JA, -1, 0, 0), RET1).contains("ja target"), "backward ja (infinite loop)");
        assertTrue(reject(jump(JMP | JA, -2, 0, 0), RET1, RET1).contains("ja target"), "backward ja");
        reject(stmt(LD | IMM, 0), jump(JMP | JEQ | K, 0, 1, 0), RET1);
        reject(stmt(LD | IMM, 0), jump(JMP | JGT | X, 0, 0, 2), RET1, RET1);
        reject(jump(JMP | JSET | K, 0, 255, 0), RET1);
    }

    @Test void rejectsBadScratchIndex() {
        for (int code : new int[] {LD | MEM, LDX | MEM, ST, STX}) {
            assertTrue(reject(stmt(code, 16), RET1).contains("scratch"));
            reject(stmt(code, -1), RET1);
        }
    }

    @Test void rejectsConstantDivisionByZeroAndWideShifts() {
        assertTrue(reject(stmt(ALU | DIV | K, 0), RET1).contains("division"));
        assertTrue(reject(stmt(ALU | MOD | K, 0), RET1).contains("division"));
        reject(stmt(ALU | LSH | K, 32), RET1);
        reject(stmt(ALU | RSH | K, -1), RET1);
    }

    @Test void rejectsUnknownOpcodes() {
        int[] unknown = {
                LD | H | IMM, LD | B | LEN, LD | H | MEM, LDX | W | ABS, LDX | H | MSH, LDX | W | IND,
                ST | 0x08, ALU | NEG | X, ALU | 0xb0, ALU | 0xf0, JMP | 0x50, JMP | 0x60, JMP | JA | X,
                RET | X, RET | 0x18, MISC | 0x08, MISC | 0x40, 0xffff, 0x100 | RET};
        for (int code : unknown) {
            assertFalse(Bpf.isKnownOpcode(code), Integer.toHexString(code));
            assertTrue(reject(stmt(code, 0), RET1).contains("unknown opcode"), Integer.toHexString(code));
        }
    }

    @Test void indexReported() {
        BpfValidationException e = assertThrows(BpfValidationException.class,
                () -> BpfValidator.validate(new BpfInsn[] {RET1, RET1, stmt(ST, 99), RET1}));
        assertEquals(2, e.index());
        assertTrue(e.getMessage().startsWith("invalid BPF program: instruction 2: "));
    }
}

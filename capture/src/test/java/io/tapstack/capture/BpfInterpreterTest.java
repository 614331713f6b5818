package io.tapstack.capture;

import static io.tapstack.capture.Bpf.*;
import static io.tapstack.capture.BpfInsn.jump;
import static io.tapstack.capture.BpfInsn.stmt;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every instruction class on both engines (interpreter and JIT), against values worked out by
 * hand from libpcap's bpf_filter.c.
 */
class BpfInterpreterTest {
    static final byte[] PKT = new byte[32];
    static {
        for (int i = 0; i < PKT.length; i++) PKT[i] = (byte) (0x10 + i);
        PKT[0] = (byte) 0x45; // IHL 5 for MSH
        PKT[31] = (byte) 0xff;
    }

    /** Runs the program (ending in ret A appended) on both engines and checks they agree. */
    static int runA(byte[] pkt, int wirelen, BpfInsn... body) {
        List<BpfInsn> l = new ArrayList<>(List.of(body));
        l.add(stmt(RET | A, 0));
        return run(pkt, pkt.length, wirelen, l.toArray(new BpfInsn[0]));
    }

    static int run(byte[] pkt, int caplen, int wirelen, BpfInsn... insns) {
        BpfProgram p = new BpfProgram(insns);
        int i = p.interpreter().filter(pkt, 0, caplen, wirelen);
        int i2 = p.interpreter().filter(ByteBuffer.wrap(pkt), 0, caplen, wirelen);
        BpfFilter jit = BpfJit.compile(p);
        int j = jit.filter(pkt, 0, caplen, wirelen);
        int j2 = jit.filter(ByteBuffer.wrap(pkt), 0, caplen, wirelen);
        assertEquals(i, i2, "interpreter byte[] vs ByteBuffer");
        assertEquals(i, j, "interpreter vs jit (byte[])");
        assertEquals(i, j2, "interpreter vs jit (ByteBuffer)");
        return i;
    }

    @Test void retK() {
        assertEquals(7, run(PKT, 32, 32, stmt(RET | K, 7)));
        assertEquals(-1, run(PKT, 32, 32, stmt(RET | K, -1)));
        assertEquals(0, run(PKT, 32, 32, stmt(RET | K, 0)));
    }

    @Test void loadsAbs() {
        assertEquals(0x45111213, runA(PKT, 32, stmt(LD | W | ABS, 0)));
        assertEquals(0x1213, runA(PKT, 32, stmt(LD | H | ABS, 2)));
        assertEquals(0xff, runA(PKT, 32, stmt(LD | B | ABS, 31)));
        assertEquals(0x2c2d2eff, runA(PKT, 32, stmt(LD | W | ABS, 28)));
    }

    @Test void outOfBoundsLoadRejects() {
        // libpcap bpf_filter.c: out-of-bounds load returns 0
        assertEquals(0, runA(PKT, 32, stmt(LD | W | ABS, 29)));
        assertEquals(0, runA(PKT, 32, stmt(LD | H | ABS, 31)));
        assertEquals(0, runA(PKT, 32, stmt(LD | B | ABS, 32)));
        assertEquals(0, runA(PKT, 32, stmt(LD | W | ABS, -1)));
        assertEquals(0, runA(PKT, 32, stmt(LD | B | ABS, Integer.MAX_VALUE)));
        assertEquals(0, runA(PKT, 32, stmt(LDX | MSH | B, 32)));
        assertEquals(0, runA(PKT, 32, stmt(LDX | IMM, 30), stmt(LD | W | IND, 0)));
        assertEquals(0, runA(PKT, 32, stmt(LDX | IMM, 1), stmt(LD | H | IND, 30)));
        assertEquals(0, runA(PKT, 32, stmt(LDX | IMM, -1), stmt(LD | B | IND, 1)));   // X + k wraps in 32 bits: still OOB
        assertEquals(0, runA(PKT, 32, stmt(LDX | IMM, 1), stmt(LD | B | IND, -1)));
        // bounded by caplen, not by the array
        assertEquals(0, run(PKT, 10, 32, stmt(LD | B | ABS, 10), stmt(RET | K, 1)));
        assertEquals(1, run(PKT, 10, 32, stmt(LD | B | ABS, 9), stmt(RET | K, 1)));
    }

    @Test void loadsInd() {
        assertEquals(0x15, runA(PKT, 32, stmt(LDX | IMM, 3), stmt(LD | B | IND, 2)));
        assertEquals(0x1516, runA(PKT, 32, stmt(LDX | IMM, 3), stmt(LD | H | IND, 2)));
        assertEquals(0x15161718, runA(PKT, 32, stmt(LDX | IMM, 3), stmt(LD | W | IND, 2)));
        assertEquals(0xff, runA(PKT, 32, stmt(LDX | IMM, 31), stmt(LD | B | IND, 0)));
    }

    @Test void lenImmMemMsh() {
        assertEquals(1500, runA(PKT, 1500, stmt(LD | W | LEN, 0)));
        assertEquals(1500, runA(PKT, 1500, stmt(LDX | W | LEN, 0), stmt(MISC | TXA, 0)));
        assertEquals(0xdeadbeef, runA(PKT, 32, stmt(LD | IMM, 0xdeadbeef)));
        assertEquals(20, runA(PKT, 32, stmt(LDX | MSH | B, 0), stmt(MISC | TXA, 0)));
        assertEquals(42, runA(PKT, 32, stmt(LD | IMM, 42), stmt(ST, 15), stmt(LD | IMM, 0), stmt(LD | MEM, 15)));
        assertEquals(43, runA(PKT, 32, stmt(LDX | IMM, 43), stmt(STX, 3), stmt(LDX | MEM, 3), stmt(MISC | TXA, 0)));
        assertEquals(0, runA(PKT, 32, stmt(LD | IMM, 9), stmt(LD | MEM, 7)), "scratch memory starts zeroed");
    }

    @Test void alu() {
        assertEquals(5, runA(PKT, 32, stmt(LD | IMM, 2), stmt(ALU | ADD | K, 3)));
        assertEquals(-1, runA(PKT, 32, stmt(LD | IMM, 2), stmt(ALU | SUB | K, 3)));
        assertEquals(6, runA(PKT, 32, stmt(LD | IMM, 2), stmt(ALU | MUL | K, 3)));
        assertEquals(0x7fffffff, runA(PKT, 32, stmt(LD | IMM, -1), stmt(ALU | DIV | K, 2)), "division is unsigned");
        assertEquals(1, runA(PKT, 32, stmt(LD | IMM, -1), stmt(ALU | MOD | K, 2)), "modulo is unsigned");
        assertEquals(0x0f, runA(PKT, 32, stmt(LD | IMM, 0xff), stmt(ALU | AND | K, 0x0f)));
        assertEquals(0xff, runA(PKT, 32, stmt(LD | IMM, 0xf0), stmt(ALU | OR | K, 0x0f)));
        assertEquals(0xf0, runA(PKT, 32, stmt(LD | IMM, 0xff), stmt(ALU | XOR | K, 0x0f)));
        assertEquals(0x80000000, runA(PKT, 32, stmt(LD | IMM, 1), stmt(ALU | LSH | K, 31)));
        assertEquals(1, runA(PKT, 32, stmt(LD | IMM, 0x80000000), stmt(ALU | RSH | K, 31)), "right shift is logical");
        assertEquals(-5, runA(PKT, 32, stmt(LD | IMM, 5), stmt(ALU | NEG, 0)));
        assertEquals(0x80000000, runA(PKT, 32, stmt(LD | IMM, 0x80000000), stmt(ALU | NEG, 0)));
    }

    @Test void aluX() {
        BpfInsn x3 = stmt(LDX | IMM, 3);
        assertEquals(10, runA(PKT, 32, x3, stmt(LD | IMM, 7), stmt(ALU | ADD | X, 0)));
        assertEquals(4, runA(PKT, 32, x3, stmt(LD | IMM, 7), stmt(ALU | SUB | X, 0)));
        assertEquals(21, runA(PKT, 32, x3, stmt(LD | IMM, 7), stmt(ALU | MUL | X, 0)));
        assertEquals(2, runA(PKT, 32, x3, stmt(LD | IMM, 7), stmt(ALU | DIV | X, 0)));
        assertEquals(1, runA(PKT, 32, x3, stmt(LD | IMM, 7), stmt(ALU | MOD | X, 0)));
        assertEquals(3, runA(PKT, 32, x3, stmt(LD | IMM, 7), stmt(ALU | AND | X, 0)));
        assertEquals(7, runA(PKT, 32, x3, stmt(LD | IMM, 4), stmt(ALU | OR | X, 0)));
        assertEquals(4, runA(PKT, 32, x3, stmt(LD | IMM, 7), stmt(ALU | XOR | X, 0)));
        assertEquals(56, runA(PKT, 32, x3, stmt(LD | IMM, 7), stmt(ALU | LSH | X, 0)));
        assertEquals(7, runA(PKT, 32, x3, stmt(LD | IMM, 56), stmt(ALU | RSH | X, 0)));
        assertEquals(3, runA(PKT, 32, x3, stmt(MISC | TXA, 0)));
        assertEquals(9, runA(PKT, 32, stmt(LD | IMM, 9), stmt(MISC | TAX, 0), stmt(LD | IMM, 0), stmt(MISC | TXA, 0)));
    }

    @Test void shiftByXOf32OrMoreGivesZero() {
        // libpcap bpf_filter.c: if (X < 32) A <<= X; else A = 0;
        for (int x : new int[] {32, 33, 63, 64, -1, Integer.MIN_VALUE}) {
            assertEquals(0, runA(PKT, 32, stmt(LDX | IMM, x), stmt(LD | IMM, 0xffffffff), stmt(ALU | LSH | X, 0)), "lsh " + x);
            assertEquals(0, runA(PKT, 32, stmt(LDX | IMM, x), stmt(LD | IMM, 0xffffffff), stmt(ALU | RSH | X, 0)), "rsh " + x);
        }
        assertEquals(0x80000000, runA(PKT, 32, stmt(LDX | IMM, 31), stmt(LD | IMM, 1), stmt(ALU | LSH | X, 0)));
    }

    @Test void divisionByZeroXRejects() {
        // libpcap bpf_filter.c: division by zero returns 0
        assertEquals(0, run(PKT, 32, 32, stmt(LD | IMM, 7), stmt(LDX | IMM, 0), stmt(ALU | DIV | X, 0), stmt(RET | K, 99)));
        assertEquals(0, run(PKT, 32, 32, stmt(LD | IMM, 7), stmt(LDX | IMM, 0), stmt(ALU | MOD | X, 0), stmt(RET | K, 99)));
    }

    @Test void jumps() {
        // A = 5; compare with k; ret 1 on true, 2 on false
        int[][] cases = {
                {JEQ, 5, 1}, {JEQ, 6, 2}, {JGT, 4, 1}, {JGT, 5, 2}, {JGE, 5, 1}, {JGE, 6, 2},
                {JSET, 4, 1}, {JSET, 2, 2}};
        for (int[] c : cases) {
            assertEquals(c[2], run(PKT, 32, 32, stmt(LD | IMM, 5), jump(JMP | c[0] | K, c[1], 0, 1),
                    stmt(RET | K, 1), stmt(RET | K, 2)), "K op " + c[0] + " " + c[1]);
            assertEquals(c[2], run(PKT, 32, 32, stmt(LD | IMM, 5), stmt(LDX | IMM, c[1]), jump(JMP | c[0] | X, 0, 0, 1),
                    stmt(RET | K, 1), stmt(RET | K, 2)), "X op " + c[0] + " " + c[1]);
        }
        // unsigned comparisons: 0xffffffff > 1
        assertEquals(1, run(PKT, 32, 32, stmt(LD | IMM, -1), jump(JMP | JGT | K, 1, 0, 1), stmt(RET | K, 1), stmt(RET | K, 2)));
        assertEquals(2, run(PKT, 32, 32, stmt(LD | IMM, 1), jump(JMP | JGE | K, -1, 0, 1), stmt(RET | K, 1), stmt(RET | K, 2)));
        // ja
        assertEquals(3, run(PKT, 32, 32, jump(JMP | JA, 2, 0, 0), stmt(RET | K, 1), stmt(RET | K, 2), stmt(RET | K, 3)));
        // jt == jf == 0
        assertEquals(1, run(PKT, 32, 32, stmt(LD | IMM, 5), jump(JMP | JEQ | K, 5, 0, 0), stmt(RET | K, 1)));
    }

    @Test void byteOrderOfBufferIgnoredAndOffsetHonoured() {
        byte[] b = new byte[40];
        System.arraycopy(PKT, 0, b, 8, 32);
        BpfProgram p = new BpfProgram(stmt(LD | W | ABS, 2), stmt(RET | A, 0));
        ByteBuffer le = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer direct = ByteBuffer.allocateDirect(40);
        direct.put(b).clear();
        int expected = 0x12131415;
        assertEquals(expected, p.interpreter().filter(le, 8, 32, 32));
        assertEquals(expected, p.filter().filter(le, 8, 32, 32));
        assertEquals(expected, p.interpreter().filter(direct, 8, 32, 32));
        assertEquals(expected, p.filter().filter(direct, 8, 32, 32));
        assertEquals(expected, p.filter().filter(b, 8, 32, 32));
        assertThrows(IndexOutOfBoundsException.class, () -> p.filter().filter(b, 10, 32, 32));
        assertThrows(IndexOutOfBoundsException.class, () -> p.interpreter().filter(b, 10, 32, 32));
    }
}

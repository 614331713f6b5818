package io.tapstack.capture;

import static io.tapstack.capture.Bpf.*;
import static io.tapstack.capture.BpfInsn.jump;
import static io.tapstack.capture.BpfInsn.stmt;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** The tcpdump -dd / -ddd / -d text forms. Expected text was produced by tcpdump 4.99.3 / libpcap 1.10.3. */
class BpfTextTest {
    static final String PORT_DD = String.join("\n",
            "{ 0x28, 0, 0, 0x0000000c },",
            "{ 0x15, 0, 8, 0x00000800 },",
            "{ 0x30, 0, 0, 0x00000017 },",
            "{ 0x15, 0, 6, 0x00000006 },",
            "{ 0x28, 0, 0, 0x00000014 },",
            "{ 0x45, 4, 0, 0x00001fff },",
            "{ 0xb1, 0, 0, 0x0000000e },",
            "{ 0x48, 0, 0, 0x0000000e },",
            "{ 0x15, 0, 1, 0x00000050 },",
            "{ 0x6, 0, 0, 0x00040000 },",
            "{ 0x6, 0, 0, 0x00000000 },", "");

    static final String PORT_D = String.join("\n",
            "(000) ldh      [12]",
            "(001) jeq      #0x800           jt 2\tjf 10",
            "(002) ldb      [23]",
            "(003) jeq      #0x6             jt 4\tjf 10",
            "(004) ldh      [20]",
            "(005) jset     #0x1fff          jt 10\tjf 6",
            "(006) ldxb     4*([14]&0xf)",
            "(007) ldh      [x + 14]",
            "(008) jeq      #0x50            jt 9\tjf 10",
            "(009) ret      #262144",
            "(010) ret      #0", "");

    @Test void parsesDdAndPrintsD() {
        BpfProgram p = BpfProgram.parse(PORT_DD);
        assertEquals(11, p.length());
        assertEquals(PORT_D, p.toDump());
        assertEquals(PORT_DD, p.toDd());
        assertEquals(p, BpfProgram.parse(p.toDdd()));
    }

    @Test void imageOfEveryOpcode() {
        assertEquals("(003) tax      ", BpfProgram.image(stmt(MISC | TAX, 0), 3));
        assertEquals("(003) txa      ", BpfProgram.image(stmt(MISC | TXA, 0), 3));
        assertEquals("(003) neg      ", BpfProgram.image(stmt(ALU | NEG, 0), 3));
        assertEquals("(003) ret      ", BpfProgram.image(stmt(RET | A, 0), 3));
        assertEquals("(000) ld       #pktlen", BpfProgram.image(stmt(LD | W | LEN, 0), 0));
        assertEquals("(000) ldx      #pktlen", BpfProgram.image(stmt(LDX | W | LEN, 0), 0));
        assertEquals("(000) ld       [-1]", BpfProgram.image(stmt(LD | W | ABS, -1), 0));
        assertEquals("(000) ld       [x + 2]", BpfProgram.image(stmt(LD | W | IND, 2), 0));
        assertEquals("(000) ldb      [x + 2]", BpfProgram.image(stmt(LD | B | IND, 2), 0));
        assertEquals("(000) ld       #0xffffffff", BpfProgram.image(stmt(LD | IMM, -1), 0));
        assertEquals("(000) ldx      #0x10", BpfProgram.image(stmt(LDX | IMM, 16), 0));
        assertEquals("(000) ld       M[1]", BpfProgram.image(stmt(LD | MEM, 1), 0));
        assertEquals("(000) ldx      M[1]", BpfProgram.image(stmt(LDX | MEM, 1), 0));
        assertEquals("(000) st       M[1]", BpfProgram.image(stmt(ST, 1), 0));
        assertEquals("(000) stx      M[1]", BpfProgram.image(stmt(STX, 1), 0));
        assertEquals("(004) ja       7", BpfProgram.image(jump(JMP | JA, 2, 0, 0), 4));
        assertEquals("(004) jgt      x                jt 5\tjf 6", BpfProgram.image(jump(JMP | JGT | X, 0, 0, 1), 4));
        assertEquals("(004) jge      #0x1             jt 5\tjf 6", BpfProgram.image(jump(JMP | JGE | K, 1, 0, 1), 4));
        assertEquals("(004) jeq      #0x80000000      jt 5\tjf 6", BpfProgram.image(jump(JMP | JEQ | K, 0x80000000, 0, 1), 4));
        // values seen in tcpdump -d output
        assertEquals("(003) add      #-294967296", BpfProgram.image(stmt(ALU | ADD | K, (int) 4000000000L), 3));
        assertEquals("(003) mod      #3", BpfProgram.image(stmt(ALU | MOD | K, 3), 3));
        assertEquals("(003) xor      #0x3", BpfProgram.image(stmt(ALU | XOR | K, 3), 3));
        assertEquals("(003) and      #0xff000000", BpfProgram.image(stmt(ALU | AND | K, 0xff000000), 3));
        assertEquals("(007) mod      x", BpfProgram.image(stmt(ALU | MOD | X, 0), 7));
        assertEquals("(008) rsh      #4", BpfProgram.image(stmt(ALU | RSH | K, 4), 8));
        assertEquals("(009) add      x", BpfProgram.image(stmt(ALU | ADD | X, 0), 9));
        assertEquals("(005) ret      #262144", BpfProgram.image(stmt(RET | K, 262144), 5));
        assertEquals("(000) unimp    0xffff", BpfProgram.image(stmt(0xffff, 0), 0));
    }

    @Test void parseErrors() {
        assertThrows(IllegalArgumentException.class, () -> BpfProgram.parse("{ 0x28, 0, 0 },"));
        assertThrows(IllegalArgumentException.class, () -> BpfProgram.parse("{ 0x28, 0, 0, 0xzz },"));
        assertThrows(IllegalArgumentException.class, () -> BpfProgram.parse("{ 0x28, 0, 0, 0x1ffffffff },"));
        assertThrows(BpfValidationException.class, () -> BpfProgram.parse("{ 0x28, 0, 0, 0x0000000c },"));
        assertThrows(IllegalArgumentException.class, () -> BpfProgram.parse("2\n6 0 0 1\n"));
        assertThrows(IllegalArgumentException.class, () -> BpfProgram.parse(""));
        assertEquals(1, BpfProgram.parse("1\n6 0 0 262144\n").length());
    }
}

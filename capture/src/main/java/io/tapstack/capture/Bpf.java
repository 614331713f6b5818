package io.tapstack.capture;

/**
 * Classic BPF opcode constants, as defined by Linux {@code <linux/filter.h>} and libpcap
 * {@code <pcap/bpf.h>}. An instruction's 16-bit {@code code} is built from three fields:
 *
 * <pre>
 *   LD/LDX/ST/STX:  | mode (3 bits) | size (2 bits) | class (3 bits) |
 *   ALU/JMP:        | op   (4 bits) | src  (1 bit)  | class (3 bits) |
 *   RET:            |     rval (bits 3-4)           | class (3 bits) |
 *   MISC:           | miscop (bits 3-7)             | class (3 bits) |
 * </pre>
 */
public final class Bpf {
    private Bpf() {}

    // instruction classes
    public static final int LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03,
            ALU = 0x04, JMP = 0x05, RET = 0x06, MISC = 0x07;
    // ld/ldx sizes
    public static final int W = 0x00, H = 0x08, B = 0x10;
    // ld/ldx modes
    public static final int IMM = 0x00, ABS = 0x20, IND = 0x40, MEM = 0x60, LEN = 0x80, MSH = 0xa0;
    // alu operations
    public static final int ADD = 0x00, SUB = 0x10, MUL = 0x20, DIV = 0x30, OR = 0x40, AND = 0x50,
            LSH = 0x60, RSH = 0x70, NEG = 0x80, MOD = 0x90, XOR = 0xa0;
    // jmp operations
    public static final int JA = 0x00, JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40;
    // operand source
    public static final int K = 0x00, X = 0x08;
    // ret value source (BPF_RVAL); K and X as above
    public static final int A = 0x10;
    // misc operations
    public static final int TAX = 0x00, TXA = 0x80;

    /**
     * Linux ancillary data (linux/filter.h): an absolute load at {@code SKF_AD_OFF + SKF_AD_PKTTYPE}
     * reads the packet type instead of packet bytes. libpcap compiles {@code inbound}/{@code outbound}
     * to it; libpcap's own bpf_filter() has no such data and rejects (the load is out of bounds).
     */
    public static final int SKF_AD_OFF = 0xfffff000, SKF_AD_PKTTYPE = 4;
    /** Packet types (linux/if_packet.h). */
    public static final int PACKET_HOST = 0, PACKET_BROADCAST = 1, PACKET_MULTICAST = 2, PACKET_OTHERHOST = 3,
            PACKET_OUTGOING = 4;
    /** "No packet type known": the ancillary load fails, as in libpcap's bpf_filter(). */
    public static final int NO_PKTTYPE = -1;

    /** Number of 32-bit scratch memory words (BPF_MEMWORDS). */
    public static final int MEMWORDS = 16;
    /** Longest accepted program: the Linux kernel's BPF_MAXINSNS. */
    public static final int MAXINSNS = 4096;

    public static int cls(int code) { return code & 0x07; }
    public static int size(int code) { return code & 0x18; }
    public static int mode(int code) { return code & 0xe0; }
    public static int op(int code) { return code & 0xf0; }
    public static int src(int code) { return code & 0x08; }
    public static int rval(int code) { return code & 0x18; }
    public static int miscop(int code) { return code & 0xf8; }

    /**
     * True if {@code code} is one of the opcodes that libpcap's {@code bpf_filter()} executes
     * (libpcap bpf_filter.c, {@code pcapint_valid_insn}); the list is exact, so for example
     * {@code ld #k} with a size other than W is rejected.
     */
    public static boolean isKnownOpcode(int code) {
        switch (code) {
            case RET | K: case RET | A:
            case LD | W | ABS: case LD | H | ABS: case LD | B | ABS:
            case LD | W | LEN: case LDX | W | LEN:
            case LD | W | IND: case LD | H | IND: case LD | B | IND:
            case LDX | MSH | B: case LD | IMM: case LDX | IMM:
            case LD | MEM: case LDX | MEM: case ST: case STX:
            case JMP | JA:
            case JMP | JGT | K: case JMP | JGE | K: case JMP | JEQ | K: case JMP | JSET | K:
            case JMP | JGT | X: case JMP | JGE | X: case JMP | JEQ | X: case JMP | JSET | X:
            case ALU | ADD | X: case ALU | SUB | X: case ALU | MUL | X: case ALU | DIV | X:
            case ALU | MOD | X: case ALU | AND | X: case ALU | OR | X: case ALU | XOR | X:
            case ALU | LSH | X: case ALU | RSH | X:
            case ALU | ADD | K: case ALU | SUB | K: case ALU | MUL | K: case ALU | DIV | K:
            case ALU | MOD | K: case ALU | AND | K: case ALU | OR | K: case ALU | XOR | K:
            case ALU | LSH | K: case ALU | RSH | K:
            case ALU | NEG: case MISC | TAX: case MISC | TXA:
                return true;
            default:
                return false;
        }
    }

    /** True for a conditional jump (JMP class but not JA). */
    public static boolean isConditionalJump(int code) {
        return cls(code) == JMP && op(code) != JA;
    }
}

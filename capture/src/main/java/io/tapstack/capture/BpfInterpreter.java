package io.tapstack.capture;

import static io.tapstack.capture.Bpf.*;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * Classic BPF interpreter with the semantics of libpcap's {@code bpf_filter()} (bpf_filter.c):
 * <ul>
 *   <li>A, X and the 16 scratch words start at 0 (current libpcap zeroes {@code mem[]});</li>
 *   <li>arithmetic is unsigned 32-bit and wraps; comparisons (JGT/JGE) are unsigned;</li>
 *   <li>a packet load that would read past {@code caplen} ends the program with 0 (reject);</li>
 *   <li>division or modulo by a zero X ends the program with 0 (reject);</li>
 *   <li>a shift by X of 32 or more gives 0, as libpcap's bpf_filter.c does explicitly
 *       ({@code if (X < 32) A <<= X; else A = 0;}). Older libpcap ran C's {@code A <<= X}, which
 *       is undefined for X &gt;= 32 and on x86-64 masks the count to 5 bits (as does the Linux
 *       kernel's eBPF translation); we follow the current, defined libpcap behaviour. Shifts by a
 *       constant of 32 or more are rejected by {@link BpfValidator}.</li>
 * </ul>
 * Programs are validated before they get here ({@link BpfProgram} always is), so jumps are
 * forward and in range. The scratch memory lives in a per-thread array: nothing is allocated
 * per packet on the {@link ByteBuffer} path.
 */
public final class BpfInterpreter implements BpfFilter {
    private final int[] code;
    private final int[] jt;
    private final int[] jf;
    private final int[] k;
    private final ThreadLocal<int[]> scratch = ThreadLocal.withInitial(() -> new int[MEMWORDS]);

    /** An interpreter for a validated program. */
    public BpfInterpreter(BpfProgram program) {
        BpfInsn[] insns = program.instructions();
        int n = insns.length;
        code = new int[n];
        jt = new int[n];
        jf = new int[n];
        k = new int[n];
        for (int i = 0; i < n; i++) {
            code[i] = insns[i].code();
            jt[i] = insns[i].jt();
            jf[i] = insns[i].jf();
            k[i] = insns[i].k();
        }
    }

    @Override
    public int filter(ByteBuffer packet, int offset, int caplen, int wirelen, int pkttype) {
        Objects.checkFromIndexSize(offset, caplen, packet.limit());
        int[] mem = scratch.get();
        Arrays.fill(mem, 0);
        return run(packet, offset, caplen, wirelen, pkttype, mem);
    }

    @Override
    public int filter(byte[] packet, int offset, int caplen, int wirelen, int pkttype) {
        Objects.checkFromIndexSize(offset, caplen, packet.length);
        // A heap wrapper: cheap, and usually removed by escape analysis. The ByteBuffer
        // overload is the allocation-free hot path.
        return filter(ByteBuffer.wrap(packet), offset, caplen, wirelen, pkttype);
    }

    private static final int PKTTYPE_K = SKF_AD_OFF + SKF_AD_PKTTYPE;

    private int run(ByteBuffer p, int off, int caplen, int wirelen, int pkttype, int[] mem) {
        final int[] code = this.code, jt = this.jt, jf = this.jf, kk = this.k;
        final long buflen = caplen;
        int a = 0, x = 0;
        int pc = 0;
        while (true) {
            int c = code[pc];
            int k = kk[pc];
            switch (c) {
                case RET | K:
                    return k;
                case RET | A:
                    return a;
                case LD | W | ABS: {
                    long i = Integer.toUnsignedLong(k);
                    if (i + 4 > buflen) {
                        // past the packet: only Linux's ancillary packet type can be read there
                        if (k != PKTTYPE_K || pkttype < 0) return 0; // libpcap: out-of-bounds load returns 0
                        a = pkttype;
                        break;
                    }
                    a = BpfRuntime.ldw(p, off + (int) i);
                    break;
                }
                case LD | H | ABS: {
                    long i = Integer.toUnsignedLong(k);
                    if (i + 2 > buflen) {
                        // past the packet: only Linux's ancillary packet type can be read there
                        if (k != PKTTYPE_K || pkttype < 0) return 0; // libpcap: out-of-bounds load returns 0
                        a = pkttype;
                        break;
                    }
                    a = BpfRuntime.ldh(p, off + (int) i);
                    break;
                }
                case LD | B | ABS: {
                    long i = Integer.toUnsignedLong(k);
                    if (i + 1 > buflen) {
                        // past the packet: only Linux's ancillary packet type can be read there
                        if (k != PKTTYPE_K || pkttype < 0) return 0; // libpcap: out-of-bounds load returns 0
                        a = pkttype;
                        break;
                    }
                    a = BpfRuntime.ldb(p, off + (int) i);
                    break;
                }
                case LD | W | LEN:
                    a = wirelen;
                    break;
                case LDX | W | LEN:
                    x = wirelen;
                    break;
                case LD | W | IND: {
                    long i = Integer.toUnsignedLong(x) + Integer.toUnsignedLong(k);
                    if (i + 4 > buflen) return 0;
                    a = BpfRuntime.ldw(p, off + (int) i);
                    break;
                }
                case LD | H | IND: {
                    long i = Integer.toUnsignedLong(x) + Integer.toUnsignedLong(k);
                    if (i + 2 > buflen) return 0;
                    a = BpfRuntime.ldh(p, off + (int) i);
                    break;
                }
                case LD | B | IND: {
                    long i = Integer.toUnsignedLong(x) + Integer.toUnsignedLong(k);
                    if (i + 1 > buflen) return 0;
                    a = BpfRuntime.ldb(p, off + (int) i);
                    break;
                }
                case LDX | MSH | B: {
                    long i = Integer.toUnsignedLong(k);
                    if (i + 1 > buflen) return 0;
                    x = (BpfRuntime.ldb(p, off + (int) i) & 0xf) << 2;
                    break;
                }
                case LD | IMM:
                    a = k;
                    break;
                case LDX | IMM:
                    x = k;
                    break;
                case LD | MEM:
                    a = mem[k];
                    break;
                case LDX | MEM:
                    x = mem[k];
                    break;
                case ST:
                    mem[k] = a;
                    break;
                case STX:
                    mem[k] = x;
                    break;
                case JMP | JA:
                    pc += k; // validated: forward and in range
                    break;
                case JMP | JGT | K:
                    pc += Integer.compareUnsigned(a, k) > 0 ? jt[pc] : jf[pc];
                    break;
                case JMP | JGE | K:
                    pc += Integer.compareUnsigned(a, k) >= 0 ? jt[pc] : jf[pc];
                    break;
                case JMP | JEQ | K:
                    pc += a == k ? jt[pc] : jf[pc];
                    break;
                case JMP | JSET | K:
                    pc += (a & k) != 0 ? jt[pc] : jf[pc];
                    break;
                case JMP | JGT | X:
                    pc += Integer.compareUnsigned(a, x) > 0 ? jt[pc] : jf[pc];
                    break;
                case JMP | JGE | X:
                    pc += Integer.compareUnsigned(a, x) >= 0 ? jt[pc] : jf[pc];
                    break;
                case JMP | JEQ | X:
                    pc += a == x ? jt[pc] : jf[pc];
                    break;
                case JMP | JSET | X:
                    pc += (a & x) != 0 ? jt[pc] : jf[pc];
                    break;
                case ALU | ADD | X: a += x; break;
                case ALU | SUB | X: a -= x; break;
                case ALU | MUL | X: a *= x; break;
                case ALU | DIV | X:
                    if (x == 0) return 0; // libpcap: division by zero returns 0
                    a = Integer.divideUnsigned(a, x);
                    break;
                case ALU | MOD | X:
                    if (x == 0) return 0;
                    a = Integer.remainderUnsigned(a, x);
                    break;
                case ALU | AND | X: a &= x; break;
                case ALU | OR | X: a |= x; break;
                case ALU | XOR | X: a ^= x; break;
                case ALU | LSH | X: a = BpfRuntime.lsh(a, x); break;
                case ALU | RSH | X: a = BpfRuntime.rsh(a, x); break;
                case ALU | ADD | K: a += k; break;
                case ALU | SUB | K: a -= k; break;
                case ALU | MUL | K: a *= k; break;
                case ALU | DIV | K: a = Integer.divideUnsigned(a, k); break; // k != 0: validated
                case ALU | MOD | K: a = Integer.remainderUnsigned(a, k); break;
                case ALU | AND | K: a &= k; break;
                case ALU | OR | K: a |= k; break;
                case ALU | XOR | K: a ^= k; break;
                case ALU | LSH | K: a <<= k; break; // k < 32: validated
                case ALU | RSH | K: a >>>= k; break;
                case ALU | NEG: a = -a; break;
                case MISC | TAX: x = a; break;
                case MISC | TXA: a = x; break;
                default:
                    return 0; // unreachable for validated programs; libpcap returns 0
            }
            pc++;
        }
    }
}

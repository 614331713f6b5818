package io.tapstack.it;

import static io.tapstack.capture.Bpf.*;

import io.tapstack.capture.BpfFilter;
import io.tapstack.capture.BpfInsn;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * Runs a libpcap program that may jump backwards (libpcap's {@code protochain} loop) with the
 * semantics of libpcap's userland {@code bpf_filter()}, counting steps: test-only, so that
 * {@link FilterVerdictIT} can tell, before it hands a frame to libpcap itself, whether libpcap's
 * walk would end. libpcap 1.10's IPv4 AH step sets X to {@code (len + 2) * 4} instead of adding
 * it, so a frame whose AH header names AH again at that offset makes {@code bpf_filter()} spin for
 * ever. Our machine refuses such programs ({@code BpfValidator}: forward jumps only), so this is
 * the one place that runs them.
 */
final class LoopingBpf {
    /** What a run gives: the return value, or {@link #LOOPS} when the budget ran out. */
    static final long LOOPS = -1;

    private final BpfInsn[] p;
    /** After a run: the most backward jumps taken to one target, i.e. the headers one protochain walk skipped. */
    int longestWalk;

    LoopingBpf(List<BpfInsn> insns) {
        this.p = insns.toArray(new BpfInsn[0]);
    }

    /** The program's return value (unsigned), or LOOPS after {@code budget} instructions. */
    long run(byte[] pkt, int caplen, int wirelen, int pkttype, int budget) {
        int a = 0, x = 0;
        int[] mem = new int[MEMWORDS];
        int pc = 0;
        int[] back = new int[p.length];
        longestWalk = 0;
        for (int steps = 0; steps < budget; steps++) {
            BpfInsn in = p[pc++];
            int c = in.code(), k = in.k();
            switch (cls(c)) {
                case RET:
                    return Integer.toUnsignedLong(rval(c) == A ? a : k);
                case LD:
                case LDX: {
                    int v;
                    switch (mode(c)) {
                        case IMM: v = k; break;
                        case LEN: v = wirelen; break;
                        case MEM: v = mem[k & 0xf]; break;
                        case MSH: {
                            long i = Integer.toUnsignedLong(k);
                            if (i >= caplen) return 0;
                            v = 4 * (pkt[(int) i] & 0xf);
                            break;
                        }
                        default: {
                            long i = Integer.toUnsignedLong(k) + (mode(c) == IND ? Integer.toUnsignedLong(x) : 0);
                            int n = size(c) == W ? 4 : size(c) == H ? 2 : 1;
                            if (i + n > caplen) {
                                if (mode(c) == ABS && k == SKF_AD_OFF + SKF_AD_PKTTYPE && pkttype >= 0) { v = pkttype; break; }
                                return 0;
                            }
                            v = 0;
                            for (int j = 0; j < n; j++) v = (v << 8) | (pkt[(int) i + j] & 0xff);
                        }
                    }
                    if (cls(c) == LD) a = v; else x = v;
                    break;
                }
                case ST: mem[k & 0xf] = a; break;
                case STX: mem[k & 0xf] = x; break;
                case ALU: {
                    int b = src(c) == X ? x : k;
                    switch (op(c)) {
                        case ADD: a += b; break;
                        case SUB: a -= b; break;
                        case MUL: a *= b; break;
                        case DIV: if (b == 0) return 0; a = Integer.divideUnsigned(a, b); break;
                        case MOD: if (b == 0) return 0; a = Integer.remainderUnsigned(a, b); break;
                        case AND: a &= b; break;
                        case OR: a |= b; break;
                        case XOR: a ^= b; break;
                        case LSH: a = Integer.compareUnsigned(b, 32) < 0 ? a << b : 0; break;
                        case RSH: a = Integer.compareUnsigned(b, 32) < 0 ? a >>> b : 0; break;
                        case NEG: a = -a; break;
                        default: throw new IllegalArgumentException("opcode " + c);
                    }
                    break;
                }
                case JMP: {
                    if (op(c) == JA) {
                        pc += k;
                        if (k < 0) longestWalk = Math.max(longestWalk, ++back[pc]);
                        break;
                    }
                    int b = src(c) == X ? x : k;
                    boolean t;
                    switch (op(c)) {
                        case JEQ: t = a == b; break;
                        case JGT: t = Integer.compareUnsigned(a, b) > 0; break;
                        case JGE: t = Integer.compareUnsigned(a, b) >= 0; break;
                        default: t = (a & b) != 0; break;
                    }
                    pc += t ? in.jt() : in.jf();
                    break;
                }
                default: // MISC
                    if (c == (MISC | TAX)) x = a; else a = x;
            }
        }
        return LOOPS;
    }

    /** This program as a filter; a run that does not end within 100,000 steps rejects. */
    BpfFilter asFilter() {
        return new BpfFilter() {
            @Override
            public int filter(ByteBuffer packet, int offset, int caplen, int wirelen, int pkttype) {
                byte[] b = new byte[caplen];
                packet.get(offset, b);
                return filter(b, 0, caplen, wirelen, pkttype);
            }

            @Override
            public int filter(byte[] packet, int offset, int caplen, int wirelen, int pkttype) {
                long r = run(Arrays.copyOfRange(packet, offset, offset + caplen), caplen, wirelen, pkttype, 100_000);
                return r == LOOPS ? 0 : (int) r;
            }
        };
    }
}

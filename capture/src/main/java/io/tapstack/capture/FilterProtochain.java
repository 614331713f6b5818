package io.tapstack.capture;

import static io.tapstack.capture.Bpf.*;
import static io.tapstack.capture.BpfGen.*;
import static io.tapstack.capture.FilterCursor.error;
import static io.tapstack.capture.FilterOffsets.*;

import io.tapstack.capture.BpfAssembler.Label;
import io.tapstack.capture.FilterPrimitives.Qual;

/**
 * {@code [ip|ip6] protochain N} for {@link FilterCompiler} (gencode.c gen_protochain): a bounded,
 * unrolled walk along the IPv6 extension-header chain (RFC 8200 §4) and AH (RFC 4302).
 */
final class FilterProtochain {
    private FilterProtochain() {}

    /** The scratch word protochain keeps the next-header value in (gencode.c alloc_reg; arithmetic uses words from 0). */
    private static final int PROTOCHAIN_REG = MEMWORDS - 1;
    private static final int IPPROTO_HOPOPTS = 0, IPPROTO_ROUTING = 43, IPPROTO_AH = 51, IPPROTO_NONE = 59,
            IPPROTO_DSTOPTS = 60;

    /**
     * gencode.c gen_protochain: {@code [ip|ip6] protochain N}, IPv4 then IPv6 when no protocol is
     * given; other protocols are refused with libpcap's text. libpcap turns its optimiser off for the
     * whole expression, and so do we.
     */
    static Gen protochain(FilterOffsets o, Qual q, int v) {
        String p = q.proto();
        if (p != null && !p.equals("ip") && !p.equals("ip6")) throw error(q.at(), "bad protocol applied for 'protochain'");
        // gencode.c gen_protochain refuses a variable network-layer offset (after "geneve")
        if (isVar(o.offNl)) throw error(q.at(), "'protochain' not supported with variable length headers");
        o.noOptimise = true;
        if (p == null) return or(walk(o, false, v), walk(o, true, v));
        return walk(o, p.equals("ip6"), v);
    }

    /**
     * The header-chain walk of gencode.c gen_protochain, unrolled. libpcap emits a loop (a backward
     * {@code ja}, which the kernel and {@link BpfValidator} refuse): with A the next-header value
     * and X the offset of that header from the network header, each pass accepts if A is N, stops
     * (rejects) at "no next header" (59, RFC 8200 §4.7), skips an IPv6 hop-by-hop, destination
     * options, routing or fragment header ({@code X += (hdr[1] + 1) * 8}, RFC 8200 §4.3-§4.6: for
     * the fragment header the reserved byte, normally 0) or an AH header, and otherwise rejects. The
     * AH step is libpcap's: {@code X = (hdr[1] + 2) * 4} (RFC 4302 §2.2 gives the length in 32-bit
     * words minus 2), which sets X where it should add to it, as libpcap does (its verdicts are the
     * reference). Where libpcap loops until a load fails, or for ever (an AH header naming AH again
     * at the offset it computes), this walk skips at most {@link FilterCompiler#PROTOCHAIN_MAX_HEADERS} headers,
     * compares once more and then rejects. IPv4 walks AH only; the IP header length comes from
     * {@code ldxb 4*([nl]&0xf)}; fragments are not considered, as in libpcap.
     */
    private static Gen walk(FilterOffsets o, boolean v6, int v) {
        int nl = o.offNl;
        Gen link = o.linktype(v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IP);
        Gen walk = (a, t, f) -> {
            a.stmt(LD | B | ABS, nl + (v6 ? 6 : 9));
            if (v6) a.stmt(LDX | IMM, 40);
            else a.stmt(LDX | MSH | B, nl);
            Label again = new Label();
            for (int i = 0; i < FilterCompiler.PROTOCHAIN_MAX_HEADERS; i++) {
                if (i > 0) a.mark(again);
                again = new Label();
                Label notV = new Label(), notNone = new Label(), ah = new Label(), ahStep = new Label();
                a.cond(JMP | JEQ | K, v, t, notV);
                a.mark(notV);
                a.cond(JMP | JEQ | K, IPPROTO_NONE, f, notNone);
                a.mark(notNone);
                if (v6) {
                    Label skip = new Label();
                    for (int h : new int[] {IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING}) {
                        Label n = new Label();
                        a.cond(JMP | JEQ | K, h, skip, n);
                        a.mark(n);
                    }
                    a.cond(JMP | JEQ | K, IPPROTO_FRAGMENT, skip, ah);
                    a.mark(skip);
                    a.stmt(LD | B | IND, nl);          // A = next header of this one
                    a.stmt(ST, PROTOCHAIN_REG);
                    a.stmt(LD | B | IND, nl + 1);      // its length in 8-octet units, not counting the first 8
                    a.stmt(ALU | ADD | K, 1);
                    a.stmt(ALU | MUL | K, 8);
                    a.stmt(ALU | ADD | X, 0);
                    a.stmt(MISC | TAX, 0);
                    a.stmt(LD | MEM, PROTOCHAIN_REG);
                    a.ja(again);
                    a.mark(ah);
                }
                a.cond(JMP | JEQ | K, IPPROTO_AH, ahStep, f);
                a.mark(ahStep);
                a.stmt(LD | B | IND, nl);              // A = AH's next header
                a.stmt(ST, PROTOCHAIN_REG);
                a.stmt(MISC | TXA, 0);
                a.stmt(ALU | ADD | K, 1);
                a.stmt(MISC | TAX, 0);
                a.stmt(LD | B | IND, nl);              // AH payload length
                a.stmt(ALU | ADD | K, 2);
                a.stmt(ALU | MUL | K, 4);
                a.stmt(MISC | TAX, 0);                 // X = (len + 2) * 4: libpcap's assignment
                a.stmt(LD | MEM, PROTOCHAIN_REG);
                a.ja(again);
            }
            a.mark(again);
            a.cond(JMP | JEQ | K, v, t, f); // the last comparison; a longer chain is rejected
        };
        return and(link, walk);
    }
}

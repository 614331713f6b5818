package io.tapstack.capture;

import static io.tapstack.capture.Bpf.*;
import static io.tapstack.capture.BpfGen.*;
import static io.tapstack.capture.FilterCursor.error;

import io.tapstack.capture.BpfAssembler.Label;
import io.tapstack.capture.FilterLexer.Token;

/**
 * Where the headers of the frame are, as {@link FilterCompiler} reads an expression from left to
 * right (gencode.c's off_linktype, off_linkpl, off_linkhdr and their pushes), the scratch registers
 * that hold them when they are not constant, and the primitives that move them: {@code vlan}
 * (4 bytes), {@code mpls} (4 bytes, RFC 3032), {@code pppoes} (PPP after a PPPoE header, RFC 2516)
 * and {@code geneve} (a variable-length header, RFC 8926: the inner offsets are computed at run
 * time). The link-type and IP protocol tests read the offsets as they stand when a primitive is
 * compiled. Also the compile-wide flags these imply: after {@code geneve} or {@code protochain}
 * the expression is compiled as libpcap compiles it without its optimiser.
 */
final class FilterOffsets {
    // Before "geneve" every offset is a constant. After it, gencode.c keeps the offsets of the
    // inner link type, link header and network layer in scratch registers (bpf_abs_offset with
    // is_variable) and loads through X: ldx M[r]; ld [x + k]. We carry such an offset in the same
    // int as a constant one: (register + 1) << VAR_SHIFT, plus VAR_BIAS, plus the constant part, so
    // that "offNl + 9" or "pl - 2" keep working on both kinds; constant offsets (< 2^26, or the
    // negative ancillary ones) are left exactly as they were.
    private static final int VAR_SHIFT = 26, VAR_BIAS = 1 << 25;

    static int varOffset(int reg, int constantPart) { return ((reg + 1) << VAR_SHIFT) + VAR_BIAS + constantPart; }

    static boolean isVar(int off) { return off >= (1 << VAR_SHIFT); }

    static int varReg(int off) { return (off >>> VAR_SHIFT) - 1; }

    /** The constant part of an offset: k of an indexed load (may be negative, as in libpcap's u_int arithmetic). */
    static int indBase(int off) { return isVar(off) ? (off & ((1 << VAR_SHIFT) - 1)) - VAR_BIAS : off; }

    /** gencode.c gen_load_absoffsetrel: ld [k], or ldx M[r]; ld [x + k] for a variable offset. */
    static void load(BpfAssembler a, int size, int off) {
        if (isVar(off)) {
            a.stmt(LDX | MEM, varReg(off));
            a.stmt(LD | size | IND, indBase(off));
        } else {
            a.stmt(LD | size | ABS, off);
        }
    }

    /**
     * gencode.c gen_loadx_iphdrlen: X = the IPv4 header length (RFC 791 IHL * 4), plus the variable
     * part of the network-layer offset when there is one ({@code ldxb 4*([k]&0xf)} needs a constant k).
     */
    static void loadxIpHdrLen(BpfAssembler a, int nl) {
        if (isVar(nl)) {
            a.stmt(LDX | MEM, varReg(nl));
            a.stmt(LD | B | IND, indBase(nl));
            a.stmt(ALU | AND | K, 0xf);
            a.stmt(ALU | LSH | K, 2);
            a.stmt(ALU | ADD | X, 0);
            a.stmt(MISC | TAX, 0);
        } else {
            a.stmt(LDX | MSH | B, nl);
        }
    }

    // link-layer offsets (gencode.c off_linktype / off_linkpl), moved by "vlan"
    int offLinkType = 12;
    int offNl = 14;
    int offLinkHdr; // where ether[]/link[] loads start: moved by "pppoes" (gencode.c off_linkhdr)
    // gencode.c label_stack_depth: MPLS headers seen; after one, "ip"/"ip6" test the version nibble
    int mplsDepth;
    // after "pppoes" the link layer is PPP (gencode.c PUSH_LINKHDR(DLT_PPP)): types are PPP protocol numbers
    boolean ppp;
    Token primTok; // first token of the primitive being compiled (for errors raised deep inside)
    // gencode.c sets no_optimize for protochain (its loop is not a DAG): the whole expression is
    // compiled without the optimiser, and "expression rejects all packets" is never reported
    boolean noOptimise;
    // geneveSeen: "geneve" parsed (gencode.c is_geneve). asUnoptimised: the expression has
    // "geneve", which libpcap compiles without its optimiser: or-lists are not pulled up (optimize.c
    // or_pullup), loads whose value is unused (x & 0, 0 * x) are kept, constants are not folded
    boolean geneveSeen;
    final boolean asUnoptimised;
    private int nextReg = MEMWORDS - 2; // geneve's registers, below protochain's

    FilterOffsets(boolean asUnoptimised) {
        this.asUnoptimised = asUnoptimised;
    }

    /** The offsets a primitive moves, saved before a parse that may be abandoned (a relation tried first). */
    record Mark(int linkType, int nl, int mplsDepth, int linkHdr, boolean ppp) {}

    Mark mark() { return new Mark(offLinkType, offNl, mplsDepth, offLinkHdr, ppp); }

    void reset(Mark m) {
        offLinkType = m.linkType();
        offNl = m.nl();
        mplsDepth = m.mplsDepth();
        offLinkHdr = m.linkHdr();
        ppp = m.ppp();
    }

    /** gencode.c gen_linktype for Ethernet: type field, or for values up to 1500 an 802.2 LLC DSAP. */
    Gen linktype(int type) {
        int lt = offLinkType, pl = offNl;
        if (mplsDepth > 0) {
            // gencode.c gen_mpls_linktype: bottom-of-stack bit of the last label, then the IP version
            // nibble (RFC 3032 §2.1: S bit is bit 0 of the third byte of a label stack entry)
            Gen bos = cmpMasked(B, pl - 2, 0x01, JEQ, 0x01);
            if (type == ETHERTYPE_IP) return and(bos, cmpMasked(B, pl, 0xf0, JEQ, 0x40));
            if (type == ETHERTYPE_IPV6) return and(bos, cmpMasked(B, pl, 0xf0, JEQ, 0x60));
            throw error(primTok, "unsupported protocol over mpls");
        }
        // gencode.c gen_linktype for DLT_PPP (after "pppoes"): the PPP protocol field, Ethernet
        // types mapped to PPP numbers (ethertype_to_ppptype)
        if (ppp) return cmp(H, lt, pppType(type));
        if (type >= 0 && type <= 1500) {
            // ETHERMTU: a length field, then the DSAP (gencode.c gen_ether_linktype default case)
            return and(not(cmpMasked(H, lt, -1, JGT, 1500)), cmp(B, lt + 2, type));
        }
        return cmp(H, lt, type);
    }

    static final int ETHERTYPE_IP = 0x800, ETHERTYPE_IPV6 = 0x86dd, ETHERTYPE_ARP = 0x806,
            ETHERTYPE_REVARP = 0x8035, ETHERTYPE_MPLS = 0x8847, ETHERTYPE_PPPOED = 0x8863, ETHERTYPE_PPPOES = 0x8864;
    /** PPP protocol number of MPLS unicast (RFC 3032 §4.3), what "mpls" tests after "pppoes". */
    static final int PPP_MPLS_UCAST = 0x0281;

    /** libpcap ethertype_to_ppptype: the PPP protocol numbers (RFC 1661 §2, assigned numbers) of Ethernet types. */
    static int pppType(int ethertype) {
        switch (ethertype) {
            case ETHERTYPE_IP: return 0x0021;
            case ETHERTYPE_IPV6: return 0x0057;
            case 0x6003: return 0x0027; // DECnet
            case 0x809b: return 0x0029; // AppleTalk
            case 0x0600: return 0x0025; // Xerox NS
            case 0xfe: return 0x0023;   // LLC SAP ISO NS -> PPP OSI
            case 0x42: return 0x0031;   // LLC SAP 802.1D -> bridging PDU
            case 0xe0: return 0x002b;   // LLC SAP IPX -> PPP IPX
            default: return ethertype;
        }
    }
    static final int IPPROTO_FRAGMENT = 44;

    Gen ipProto(int p) { return and(linktype(ETHERTYPE_IP), cmp(B, offNl + 9, p)); }

    /** IPv6 next header, or a fragment header followed by it (gencode.c gen_proto, Q_IPV6). */
    Gen ip6Proto(int p) {
        int nl = offNl;
        return and(linktype(ETHERTYPE_IPV6),
                or(cmp(B, nl + 6, p), and(cmp(B, nl + 6, IPPROTO_FRAGMENT), cmp(B, nl + 40, p))));
    }

    /** IPv4 fragment offset is zero: ldh [nl+6]; jset #0x1fff false. */
    Gen ipFirstFragment() { return not(jset(H, offNl + 6, 0x1fff)); }

    /**
     * gencode.c gen_mpls: the MPLS ethertype (RFC 3032 §5; PPP protocol 0x0281 after "pppoes"), or
     * under an outer label the bottom-of-stack bit of that label clear; then the 20-bit label, and
     * every later network-layer offset moves past this 4-byte label stack entry (RFC 3032 §2.1).
     */
    Gen mpls(int label) {
        int pl = offNl;
        Gen g;
        if (mplsDepth > 0) g = cmpMasked(B, pl - 2, 0x01, JEQ, 0);
        else g = ppp ? cmp(H, offLinkType, PPP_MPLS_UCAST) : linktype(ETHERTYPE_MPLS);
        if (label >= 0) g = and(g, cmpMasked(W, pl, 0xfffff000, JEQ, label << 12));
        offNl += 4;
        mplsDepth++;
        return g;
    }

    /**
     * gencode.c gen_pppoes: the PPPoE session ethertype (RFC 2516 §5), the session id (bytes 2-3
     * of the 6-byte PPPoE header) if given; then the link layer becomes PPP: its protocol field
     * right after the PPPoE header, the network layer after that (RFC 1661 §2).
     */
    Gen pppoes(int session) {
        Gen g = linktype(ETHERTYPE_PPPOES);
        if (session >= 0) g = and(g, cmpMasked(W, offNl, 0xffff, JEQ, session));
        offLinkHdr = offNl + 6;
        offLinkType = offNl + 6;
        offNl = offNl + 8;
        ppp = true;
        return g;
    }

    /** UDP port of Geneve (RFC 8926 §3.3) and the protocol type of an Ethernet payload (RFC 8926 §3.4, 0x6558). */
    static final int GENEVE_PORT = 6081, ETHERTYPE_TEB = 0x6558, IPPROTO_UDP = 17;

    /** Scratch words arithmetic may use (from 0 up): all, or those below geneve's registers. */
    int arithWords() { return geneveSeen ? nextReg + 1 : MEMWORDS; }

    FilterSyntaxException tooComplicated(Token op) {
        return error(op, geneveSeen ? "too many registers needed to evaluate expression" : "expression too complicated");
    }

    /** Allocates a scratch register downwards from below protochain's (gencode.c alloc_reg). */
    int allocReg(Token at) {
        if (nextReg < 0) throw error(at, "too many registers needed to evaluate expression");
        return nextReg--;
    }

    /**
     * gencode.c gen_geneve (libpcap 1.10): UDP to port 6081 over IPv4 (first fragment) or IPv6 (next
     * header UDP), the Geneve version (RFC 8926 §3.4: the top two bits of the first byte) 0, and the
     * 24-bit VNI if given. Then, on a match, the offsets of everything after it are computed at run
     * time and kept in scratch registers: the Geneve header starts after the UDP header, its
     * length is 8 + 4 * (option length, the low 6 bits of the first byte); the inner link type is
     * the Geneve protocol type (2 bytes in) or, for an Ethernet payload (0x6558), the inner
     * Ethernet type, and the network layer follows. Later primitives load through X. libpcap turns
     * its optimiser off for this code (a jump inside a block), and so do we.
     */
    Gen geneve(Token at, int vni) {
        int nl = offNl;
        boolean hasVni = vni >= 0;
        int vniBits = vni << 8;
        // gencode.c gen_geneve_check over gen_port (IPv4: relative to the transport header)
        Gen v4 = and(linktype(ETHERTYPE_IP), cmp(B, nl + 9, IPPROTO_UDP), ipFirstFragment(),
                portTest(true, nl, 2, new int[] {GENEVE_PORT}, GENEVE_PORT), tran4(B, nl, 8, 0xc0, 0));
        if (hasVni) v4 = and(v4, tran4(W, nl, 12, 0xffffff00, vniBits));
        // gen_geneve4: A = X = the IPv4 header length (with the variable part of the offset)
        v4 = and(v4, (a, t, f) -> {
            loadxIpHdrLen(a, nl);
            a.stmt(MISC | TXA, 0);
            a.ja(t);
        });
        Gen v6 = and(linktype(ETHERTYPE_IPV6), cmp(B, nl + 6, IPPROTO_UDP), cmp(H, nl + 42, GENEVE_PORT),
                cmpMasked(B, nl + 48, 0xc0, JEQ, 0));
        if (hasVni) v6 = and(v6, cmpMasked(W, nl + 52, 0xffffff00, JEQ, vniBits));
        // gen_geneve6: A = X = 40, the fixed IPv6 header (plus the variable part of the offset)
        v6 = and(v6, (a, t, f) -> {
            if (isVar(nl)) {
                a.stmt(LDX | MEM, varReg(nl));
                a.stmt(LD | IMM, 40);
                a.stmt(ALU | ADD | X, 0);
            } else {
                a.stmt(LD | IMM, 40);
            }
            a.stmt(MISC | TAX, 0);
            a.ja(t);
        });
        int rLinkType = allocReg(at), rLinkHdr = allocReg(at), rLinkPl = allocReg(at);
        int udp = indBase(nl) + 8;
        // gencode.c gen_geneve_offsets
        Gen offsets = (a, t, f) -> {
            a.stmt(ALU | ADD | K, udp);            // A = start of the Geneve header
            a.stmt(MISC | TAX, 0);
            a.stmt(ALU | ADD | K, 2);              // its protocol type field: the link type for now
            a.stmt(ST, rLinkType);
            a.stmt(LD | B | IND, 0);               // Ver(2) | Opt Len(6), in 4-byte words
            a.stmt(ALU | AND | K, 0x3f);
            a.stmt(ALU | MUL | K, 4);
            a.stmt(ALU | ADD | K, 8);              // the fixed Geneve header
            a.stmt(ALU | ADD | X, 0);
            a.stmt(ST, rLinkHdr);                  // end of the Geneve header: the inner frame
            a.stmt(LD | H | IND, 2);
            a.stmt(LDX | MEM, rLinkHdr);
            Label teb = new Label(), done = new Label();
            a.cond(JMP | JEQ | K, ETHERTYPE_TEB, teb, done);
            a.mark(teb);                           // an inner Ethernet frame: its type at 12, payload at 14
            a.stmt(MISC | TXA, 0);
            a.stmt(ALU | ADD | K, 12);
            a.stmt(ST, rLinkType);
            a.stmt(ALU | ADD | K, 2);
            a.stmt(MISC | TAX, 0);
            a.mark(done);
            a.stmt(STX, rLinkPl);
            a.ja(t);
        };
        offLinkType = varOffset(rLinkType, 0);
        offLinkHdr = varOffset(rLinkHdr, 0);
        offNl = varOffset(rLinkPl, 0);
        ppp = false; // gencode.c PUSH_LINKHDR(DLT_EN10MB)
        noOptimise = true;
        geneveSeen = true;
        return and(or(v4, v6), offsets);
    }

    /**
     * gencode.c gen_prevlinkhdr_check / gen_geneve_ll_check: after "geneve", tests on the Ethernet
     * header first check that there is one (the inner link header and payload offsets differ: not
     * so when the Geneve payload is bare IP).
     */
    Gen andLinkHeader(Gen g) {
        if (!geneveSeen) return g;
        int hdr = varReg(offLinkHdr), pl = varReg(offNl);
        Gen same = (a, t, f) -> {
            a.stmt(LD | MEM, hdr);
            a.stmt(LDX | MEM, pl);
            a.cond(JMP | JEQ | X, 0, t, f);
        };
        return and(not(same), g);
    }

    /**
     * gencode.c gen_inbound on Linux for a live capture: the packet type from the kernel's
     * ancillary data ({@code ldh [SKF_AD_OFF+SKF_AD_PKTTYPE]}), outbound being PACKET_OUTGOING.
     * The capture tap supplies it (CaptureSession); without it (a file) the load fails and the
     * program rejects, as libpcap's bpf_filter does.
     */
    Gen direction(boolean outbound) {
        // gencode.c loads it relative to the link-layer header (OR_LINKHDR), so after "pppoes"
        // libpcap reads another ancillary field (SKF_AD_QUEUE: [queue]); we emit the same load
        Gen out = cmp(H, SKF_AD_OFF + SKF_AD_PKTTYPE + offLinkHdr, PACKET_OUTGOING);
        return outbound ? out : not(out);
    }

    /** gencode.c gen_vlan (no kernel VLAN extensions, as for an offline/TAP capture). */
    Gen vlan(Integer id) {
        int lt = offLinkType, pl = offNl;
        Gen tpid = or(cmp(H, lt, 0x8100), cmp(H, lt, 0x88a8), cmp(H, lt, 0x9100));
        Gen g = id == null ? tpid : and(tpid, cmpMasked(H, pl, 0x0fff, JEQ, id));
        offLinkType += 4;
        offNl += 4;
        return g;
    }
}

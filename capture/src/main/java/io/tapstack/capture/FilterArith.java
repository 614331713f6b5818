package io.tapstack.capture;

import static io.tapstack.capture.Bpf.*;
import static io.tapstack.capture.BpfGen.*;
import static io.tapstack.capture.FilterCursor.*;
import static io.tapstack.capture.FilterOffsets.*;

import io.tapstack.capture.FilterLexer.Kind;
import io.tapstack.capture.FilterLexer.Token;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Relations of pcap-filter(7) for {@link FilterCompiler}: {@code arith relop arith}, where arith
 * is built from numbers, named constants, {@code len} and packet loads {@code proto[expr:size]}
 * with libpcap's operators and precedences (grammar.y), compiled as gencode.c gen_arth, gen_load
 * and gen_relation do: the value in A, intermediate values in scratch words counted from 0 (below
 * the registers {@code geneve} and {@code protochain} take), constants folded as libpcap's
 * optimiser folds them unless the expression is compiled unoptimised.
 */
final class FilterArith {
    private final FilterCursor in;
    private final FilterOffsets o;
    private final FilterPrimitives p;

    FilterArith(FilterCursor in, FilterOffsets o, FilterPrimitives p) {
        this.in = in;
        this.o = o;
        this.p = p;
    }

    /** Named constants of pcap-filter(7) (gencode.h / grammar.y). */
    static final Map<String, Integer> CONSTANTS = Map.ofEntries(
            Map.entry("icmptype", 0), Map.entry("icmpcode", 1),
            Map.entry("icmp-echoreply", 0), Map.entry("icmp-unreach", 3), Map.entry("icmp-sourcequench", 4),
            Map.entry("icmp-redirect", 5), Map.entry("icmp-echo", 8), Map.entry("icmp-routeradvert", 9),
            Map.entry("icmp-routersolicit", 10), Map.entry("icmp-timxceed", 11), Map.entry("icmp-paramprob", 12),
            Map.entry("icmp-tstamp", 13), Map.entry("icmp-tstampreply", 14), Map.entry("icmp-ireq", 15),
            Map.entry("icmp-ireqreply", 16), Map.entry("icmp-maskreq", 17), Map.entry("icmp-maskreply", 18),
            Map.entry("icmp6type", 0), Map.entry("icmp6code", 1),
            Map.entry("icmp6-destinationunreach", 1), Map.entry("icmp6-packettoobig", 2),
            Map.entry("icmp6-timeexceeded", 3), Map.entry("icmp6-parameterproblem", 4),
            Map.entry("icmp6-echo", 128), Map.entry("icmp6-echoreply", 129),
            Map.entry("icmp6-multicastlistenerquery", 130), Map.entry("icmp6-multicastlistenerreportv1", 131),
            Map.entry("icmp6-multicastlistenerdone", 132), Map.entry("icmp6-routersolicit", 133),
            Map.entry("icmp6-routeradvert", 134), Map.entry("icmp6-neighborsolicit", 135),
            Map.entry("icmp6-neighboradvert", 136), Map.entry("icmp6-redirect", 137),
            Map.entry("tcpflags", 13), Map.entry("tcp-fin", 0x01), Map.entry("tcp-syn", 0x02),
            Map.entry("tcp-rst", 0x04), Map.entry("tcp-push", 0x08), Map.entry("tcp-ack", 0x10),
            Map.entry("tcp-urg", 0x20), Map.entry("tcp-ece", 0x40), Map.entry("tcp-cwr", 0x80));

    /** Emits code leaving a value in A; {@code depth} is the first free scratch word. */
    @FunctionalInterface
    interface ArithCode {
        void emit(BpfAssembler a, int depth);
    }

    /** An arithmetic value: protocol checks it needs, its code, and its value if constant. */
    record Arith(List<Gen> checks, ArithCode code, Long konst, int depth, Long first) {
        /**
         * {@code first}: the constant that libpcap's code for this value starts with ({@code ld #k}:
         * a literal, or the constant index of its leftmost load), or null (it starts with
         * {@code len}). gencode.c gen_arth checks only that statement when it refuses a divisor of 0
         * or a shift of more than 31 bits, so {@code x / ip[0]} is "division by zero" for libpcap.
         */
        Arith(List<Gen> checks, ArithCode code, Long konst, int depth) {
            this(checks, code, konst, depth, konst);
        }

        Arith withFirst(Long f) { return new Arith(checks, code, konst, depth, f); }

        /** This value's protocol checks, with a constant value (folded). */
        Arith folded(long v) {
            Arith c = constant(v);
            return new Arith(checks, c.code, c.konst, 0, first);
        }

        static Arith constant(long v) {
            int k = (int) v;
            return new Arith(List.of(), (a, d) -> a.stmt(LD | IMM, k), v & 0xffffffffL, 0);
        }
    }

    /** relation := arith relop arith. */
    Gen relation() {
        Arith l = parseArith(0);
        Token op = in.next();
        if (!isRelop(op)) throw unexpected(op);
        Arith r = parseArith(0);
        int jop;
        boolean negate;
        switch (op.text()) {
            case "=": case "==": jop = JEQ; negate = false; break;
            case "!=": jop = JEQ; negate = true; break;
            case ">": jop = JGT; negate = false; break;
            case ">=": jop = JGE; negate = false; break;
            case "<": jop = JGE; negate = true; break;   // grammar.y irelop: '<' is not >=
            default: jop = JGT; negate = true; break;    // '<=' is not >
        }
        // unoptimised (after geneve), libpcap keeps a constant right operand in a register too
        if ((r.konst() == null || o.asUnoptimised) && Math.max(r.depth(), l.depth() + 1) > o.arithWords()) throw o.tooComplicated(op);
        Gen cmp = (a, t, f) -> {
            if (r.konst() != null) {
                l.code().emit(a, 0);
                a.cond(JMP | jop | K, (int) (long) r.konst(), t, f);
            } else {
                r.code().emit(a, 0);
                a.stmt(ST, 0);
                l.code().emit(a, 1);
                a.stmt(LDX | MEM, 0);
                a.cond(JMP | jop | X, 0, t, f);
            }
        };
        if (negate) cmp = not(cmp);
        List<Gen> all = new ArrayList<>(l.checks());
        all.addAll(r.checks());
        all.add(cmp);
        return and(all.toArray(new Gen[0]));
    }

    private static int lbp(Token t) {
        if (t.kind() != Kind.OP) return -1;
        switch (t.text()) {
            case "|": return 1;
            case "&": return 2;
            case "<<": case ">>": return 3;
            case "+": case "-": return 4;
            case "*": case "/": return 5;
            default: return -1;
        }
    }

    /**
     * Pratt parser with libpcap's grammar.y precedences: | < & < shifts < + - < * / < unary minus.
     * '%' and '^' have no declared precedence there, so yacc always shifts them: they bind to the
     * operand just before them and take the whole rest of the expression as their right operand.
     */
    private Arith parseArith(int minBp) {
        Arith left = parseArithPrefix();
        while (true) {
            Token t = in.peek();
            if (t.is("%") || t.is("^")) {
                in.next();
                Arith right = parseArith(0);
                left = binary(t, left, right);
                continue;
            }
            int bp = lbp(t);
            if (bp < 0 || bp <= minBp) return left;
            in.next();
            Arith right = parseArith(bp);
            left = binary(t, left, right);
        }
    }

    private Arith parseArithPrefix() {
        Token t = in.next();
        if (t.is("-")) {
            Arith e = parseArith(6);
            if (e.konst() != null) return e.folded(-e.konst());
            return new Arith(e.checks(), (a, d) -> { e.code().emit(a, d); a.stmt(ALU | NEG, 0); }, null, e.depth(), e.first());
        }
        if (t.is("(")) {
            Arith e = parseArith(0);
            in.expect(")");
            return e;
        }
        if (t.kind() == Kind.NUM) return Arith.constant(t.num());
        if (t.is("len")) return new Arith(List.of(), (a, d) -> a.stmt(LD | W | LEN, 0), null, 0, null);
        if (isProtoKeyword(t) && in.peek().is("[")) return parseLoad(t);
        if (t.kind() == Kind.ID && CONSTANTS.containsKey(t.text())) return Arith.constant(CONSTANTS.get(t.text()));
        throw unexpected(t);
    }

    private Arith binary(Token op, Arith l, Arith r) {
        int aluOp;
        switch (op.text()) {
            case "+": aluOp = ADD; break;
            case "-": aluOp = SUB; break;
            case "*": aluOp = MUL; break;
            case "/": aluOp = DIV; break;
            case "%": aluOp = MOD; break;
            case "&": aluOp = AND; break;
            case "|": aluOp = OR; break;
            case "^": aluOp = XOR; break;
            case "<<": aluOp = LSH; break;
            default: aluOp = RSH; break;
        }
        // gencode.c gen_arth: refuses by the first statement of the right operand's code (see Arith.first)
        Long rf = r.first();
        if (rf != null && aluOp == DIV && rf == 0) throw error(op, "division by zero");
        if (rf != null && aluOp == MOD && rf == 0) throw error(op, "modulus by zero");
        if (rf != null && (aluOp == LSH || aluOp == RSH) && rf > 31) throw error(op, "shift by more than 31 bits");
        // libpcap's optimiser (optimize.c opt_stmt, fold_op) on constants; without it (after geneve)
        // nothing is folded: "x % (49 >> 28)" compiles, and the division by 0 rejects at run time
        if (r.konst() != null && !o.asUnoptimised) {
            long k = r.konst();
            if (l.konst() != null) {
                // both constant: folded; a zero divisor is an error, a shift of 32 or more gives 0
                if (aluOp == DIV && k == 0) throw error(op, "division by zero");
                if (aluOp == MOD && k == 0) throw error(op, "modulus by zero");
                if ((aluOp == LSH || aluOp == RSH) && k > 31) return l.folded(0);
                return l.folded(fold(aluOp, (int) (long) l.konst(), (int) k));
            }
            if (aluOp == DIV && k == 0) throw error(op, "division by zero");
            if (aluOp == MOD && k == 0) throw error(op, "modulus by zero");
            if ((aluOp == LSH || aluOp == RSH) && k > 31) throw error(op, "shift by more than 31 bits");
            // "and #0"/"mul #0" become "ld #0": the left operand's loads are dead and go
            if ((aluOp == AND || aluOp == MUL) && k == 0 && !o.asUnoptimised) return new Arith(l.checks(), (a, d) -> a.stmt(LD | IMM, 0), 0L, 0, l.first());
            int kk = (int) k;
            return new Arith(l.checks(), (a, d) -> { l.code().emit(a, d); a.stmt(ALU | aluOp | K, kk); }, null, l.depth(), l.first());
        }
        // with A the constant 0, mul/div/mod/and/lsh/rsh by X give 0: the right operand's loads
        // are dead and go, so they cannot reject a short packet
        if (l.konst() != null && l.konst() == 0 && !o.asUnoptimised
                && (aluOp == MUL || aluOp == DIV || aluOp == MOD || aluOp == AND || aluOp == LSH || aluOp == RSH)) {
            return new Arith(l.checks(), (a, d) -> a.stmt(LD | IMM, 0), 0L, 0, l.first());
        }
        // gencode.c gen_arth keeps only the left operand's protocol checks (a0->b): the right
        // operand's loads run whatever protocol the packet has. So "ip[0] << tcp[0] > 8" is true of
        // UDP datagrams too, and "tcp[0] + ip6[0] > 0" looks only for TCP over IPv4.
        List<Gen> checks = new ArrayList<>(l.checks());
        int depth = Math.max(l.depth(), r.depth() + 1);
        if (depth > o.arithWords()) throw o.tooComplicated(op);
        return new Arith(checks, (a, d) -> {
            l.code().emit(a, d);
            a.stmt(ST, d);
            r.code().emit(a, d + 1);
            a.stmt(MISC | TAX, 0);
            a.stmt(LD | MEM, d);
            a.stmt(ALU | aluOp | X, 0);
        }, null, depth, l.first());
    }

    private static long fold(int op, int a, int b) {
        int r;
        switch (op) {
            case ADD: r = a + b; break;
            case SUB: r = a - b; break;
            case MUL: r = a * b; break;
            case DIV: r = Integer.divideUnsigned(a, b); break;
            case MOD: r = Integer.remainderUnsigned(a, b); break;
            case AND: r = a & b; break;
            case OR: r = a | b; break;
            case XOR: r = a ^ b; break;
            case LSH: r = a << b; break;
            default: r = a >>> b; break;
        }
        return Integer.toUnsignedLong(r);
    }

    /**
     * The protocol checks of a load in the order gencode.c gen_load builds them, which is the order
     * they run in when nothing is optimised (after geneve): the index's checks first, except for
     * transport headers (IPv4, the index's checks, the protocol over IPv4 or IPv6, first fragment).
     */
    private List<Gen> unoptimisedLoadChecks(String proto, List<Gen> idxChecks) {
        List<Gen> checks = new ArrayList<>();
        switch (proto) {
            case "ether": case "link": checks.addAll(idxChecks); break;
            case "tcp": case "udp": case "sctp": case "icmp": case "igmp": case "pim": case "vrrp": case "igrp":
                checks.add(o.linktype(ETHERTYPE_IP));
                checks.addAll(idxChecks);
                checks.add(p.protoAbbrev(proto, o.primTok));
                checks.add(o.ipFirstFragment());
                break;
            case "icmp6":
                checks.addAll(idxChecks);
                checks.add(o.linktype(ETHERTYPE_IPV6));
                checks.add(cmp(B, o.offNl + 6, 58));
                break;
            default:
                checks.addAll(idxChecks);
                checks.add(p.protoAbbrev(proto, o.primTok));
        }
        return checks;
    }

    /** proto '[' arith [ ':' size ] ']' — gencode.c gen_load. */
    private Arith parseLoad(Token protoTok) {
        String proto = protoTok.text();
        in.expect("[");
        Arith idx = parseArith(0);
        int size = 1;
        if (in.peek().is(":")) {
            in.next();
            Token s = in.next();
            if (s.kind() != Kind.NUM) throw unexpected(s);
            if (s.num() != 1 && s.num() != 2 && s.num() != 4) throw error(s, "data size must be 1, 2, or 4");
            size = (int) s.num();
        }
        in.expect("]");
        int sz = size == 1 ? B : size == 2 ? H : W;
        int nl = o.offNl;
        List<Gen> checks = new ArrayList<>();
        boolean transport = false;
        int base;
        switch (proto) {
            case "ether": case "link": base = o.offLinkHdr; break;
            case "ip": checks.add(o.linktype(ETHERTYPE_IP)); base = nl; break;
            case "ip6": checks.add(o.linktype(ETHERTYPE_IPV6)); base = nl; break;
            case "arp": checks.add(o.linktype(ETHERTYPE_ARP)); base = nl; break;
            case "rarp": checks.add(o.linktype(ETHERTYPE_REVARP)); base = nl; break;
            case "tcp": case "udp": case "sctp": case "icmp": case "igmp": case "pim": case "vrrp": case "igrp":
                // IPv4 only, first fragment only, offset from the IPv4 header length
                checks.add(o.ipProto(FilterPrimitives.IP_PROTOS.get(proto)));
                checks.add(o.ipFirstFragment());
                transport = true;
                base = nl;
                break;
            case "icmp6":
                checks.add(and(o.linktype(ETHERTYPE_IPV6), cmp(B, nl + 6, 58)));
                base = nl + 40;
                break;
            default:
                throw error(protoTok, "'" + proto + "' cannot be indexed");
        }
        if (o.asUnoptimised) checks = unoptimisedLoadChecks(proto, idx.checks());
        else checks.addAll(idx.checks());
        final int b = base;
        final boolean tr = transport;
        // after "geneve" the base is in a register: X = register (+ IPv4 header length) + index,
        // then ld [x + constant part], as gencode.c gen_load does (also for a constant index)
        final boolean var = isVar(b);
        if (idx.konst() != null && !var) {
            int k = (int) (idx.konst() + b); // wraps like libpcap's 32-bit offsets: ip6[0xffffffff] is ldb [13]
            ArithCode code = tr
                    ? (a, d) -> { a.stmt(LDX | MSH | B, nl); a.stmt(LD | sz | IND, k); }
                    : (a, d) -> a.stmt(LD | sz | ABS, k);
            return new Arith(checks, code, null, 0, idx.first());
        }
        ArithCode code = tr
                ? (a, d) -> {
                    idx.code().emit(a, d);
                    a.stmt(ST, d);
                    loadxIpHdrLen(a, nl);
                    a.stmt(LD | MEM, d);
                    a.stmt(ALU | ADD | X, 0);
                    a.stmt(MISC | TAX, 0);
                    a.stmt(LD | sz | IND, indBase(b));
                }
                : var ? (a, d) -> {
                    idx.code().emit(a, d);
                    a.stmt(LDX | MEM, varReg(b));
                    a.stmt(ALU | ADD | X, 0);
                    a.stmt(MISC | TAX, 0);
                    a.stmt(LD | sz | IND, indBase(b));
                }
                : (a, d) -> {
                    idx.code().emit(a, d);
                    a.stmt(MISC | TAX, 0);
                    a.stmt(LD | sz | IND, b);
                };
        return new Arith(checks, code, null, Math.max(idx.depth(), tr ? 1 : 0), idx.first());
    }
}

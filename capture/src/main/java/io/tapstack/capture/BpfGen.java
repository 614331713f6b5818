package io.tapstack.capture;

import static io.tapstack.capture.Bpf.*;
import static io.tapstack.capture.FilterOffsets.indBase;
import static io.tapstack.capture.FilterOffsets.load;
import static io.tapstack.capture.FilterOffsets.loadxIpHdrLen;

import io.tapstack.capture.BpfAssembler.Label;

/**
 * The code generators {@link FilterCompiler} builds programs from: a {@link Gen} emits a test that
 * jumps to one label if it holds and to another if not, and these combine them ({@code and},
 * {@code or}, {@code not}) and compare packet fields (gencode.c gen_cmp, gen_mcmp, gen_portop,
 * gen_ncmp). Field offsets may be constant or variable (after {@code geneve}); the loads go
 * through {@link FilterOffsets#load}. Nothing here depends on what has been parsed.
 */
final class BpfGen {
    private BpfGen() {}

    /** Emits code that jumps to t if the condition holds and to f otherwise (never falls through). */
    @FunctionalInterface
    interface Gen {
        void gen(BpfAssembler a, Label t, Label f);
    }

    static Gen and(Gen x, Gen y) {
        return (a, t, f) -> {
            Label m = new Label();
            x.gen(a, m, f);
            a.mark(m);
            y.gen(a, t, f);
        };
    }

    static Gen or(Gen x, Gen y) {
        if (x instanceof ListTest lx && y instanceof ListTest ly && lx.signature.equals(ly.signature)) return lx.merge(ly);
        return orUnmerged(x, y);
    }

    /**
     * or without the list pull-up (for unoptimised programs): not (not x and not y), which emits
     * x to t else on to y, y to t else to f.
     */
    static Gen orUnmerged(Gen x, Gen y) { return not(and(not(x), not(y))); }

    static Gen not(Gen x) { return (a, t, f) -> x.gen(a, f, t); }

    static Gen and(Gen... gs) {
        Gen r = gs[0];
        for (int i = 1; i < gs.length; i++) r = and(r, gs[i]);
        return r;
    }

    static Gen or(Gen... gs) {
        Gen r = gs[0];
        for (int i = 1; i < gs.length; i++) r = or(r, gs[i]);
        return r;
    }

    /** ld[size] [off]; jeq #k. */
    static Gen cmp(int size, int off, int k) { return cmpMasked(size, off, -1, JEQ, k); }

    /** ld[size] [off]; [and #mask]; j<op> #k. */
    static Gen cmpMasked(int size, int off, int mask, int jop, int k) {
        return (a, t, f) -> {
            load(a, size, off);
            if (mask != -1) a.stmt(ALU | AND | K, mask);
            a.cond(JMP | jop | K, k, t, f);
        };
    }

    /** ld[size] [off]; jset #bits. */
    static Gen jset(int size, int off, int bits) {
        return (a, t, f) -> {
            load(a, size, off);
            a.cond(JMP | JSET | K, bits, t, f);
        };
    }

    /**
     * A test of one or more packet fields against a list of values ({@code port 80 or 443},
     * {@code host a or b}). Or-ing two list tests with the same signature (same kind, qualifiers,
     * offsets and mask) concatenates their values, so each field is compared with every value
     * before the next field is loaded. That is the shape libpcap's optimiser gives such chains
     * (optimize.c or_pullup), and it matters for verdicts on truncated packets: the source field
     * can match before the (out-of-bounds) destination field is loaded.
     */
    static final class ListTest implements Gen {
        final String signature;
        final java.util.function.Function<int[], Gen> builder;
        final int[] values;

        ListTest(String signature, java.util.function.Function<int[], Gen> builder, int... values) {
            this.signature = signature;
            this.builder = builder;
            this.values = values;
        }

        ListTest merge(ListTest o) {
            int[] v = java.util.Arrays.copyOf(values, values.length + o.values.length);
            System.arraycopy(o.values, 0, v, values.length, o.values.length);
            return new ListTest(signature, builder, v);
        }

        @Override
        public void gen(BpfAssembler a, Label t, Label f) { builder.apply(values).gen(a, t, f); }
    }

    /** ld[size] [off]; [and #mask]; then jeq each value to t, else f. */
    static Gen cmpAny(int size, int off, int mask, int[] vals) {
        return (a, t, f) -> {
            load(a, size, off);
            if (mask != -1) a.stmt(ALU | AND | K, mask);
            for (int i = 0; i < vals.length - 1; i++) {
                Label nx = new Label();
                a.cond(JMP | JEQ | K, vals[i], t, nx);
                a.mark(nx);
            }
            a.cond(JMP | JEQ | K, vals[vals.length - 1], t, f);
        };
    }

    static Gen lenCmp(int jop, int v) {
        return (a, t, f) -> {
            a.stmt(LD | W | LEN, 0);
            a.cond(JMP | jop | K, v, t, f);
        };
    }

    /** gen_mcmp over OR_TRAN_IPV4: X = IPv4 header length, ld [x + nl + off], and, jeq. */
    static Gen tran4(int size, int nl, int off, int mask, int k) {
        return (a, t, f) -> {
            loadxIpHdrLen(a, nl);
            a.stmt(LD | size | IND, indBase(nl) + off);
            a.stmt(ALU | AND | K, mask);
            a.cond(JMP | JEQ | K, k, t, f);
        };
    }

    /** Loads a port (IPv4: after ldxb of the header length) and compares it with vals (or the range vals[0]..hi). */
    static Gen portTest(boolean v4, int nl, int which, int[] vals, int hi) {
        return (a, t, f) -> {
            if (v4) {
                loadxIpHdrLen(a, nl);
                a.stmt(LD | H | IND, indBase(nl) + which);
            } else {
                load(a, H, nl + 40 + which);
            }
            int lo = vals[0];
            if (vals.length == 1 && lo != hi) {
                Label ge = new Label();
                a.cond(JMP | JGE | K, lo, ge, f);
                a.mark(ge);
                a.cond(JMP | JGT | K, hi, f, t);
                return;
            }
            for (int i = 0; i < vals.length - 1; i++) {
                Label nx = new Label();
                a.cond(JMP | JEQ | K, vals[i], t, nx);
                a.mark(nx);
            }
            a.cond(JMP | JEQ | K, vals[vals.length - 1], t, f);
        };
    }

    // ====================================================================== arithmetic
}

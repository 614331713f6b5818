package io.tapstack.capture;

import static io.tapstack.capture.Bpf.*;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Builds a classic BPF program from statements and conditional jumps to symbolic labels, then
 * optimises and lays it out. Used by {@link FilterCompiler}.
 *
 * <p>Conditional jumps always name both targets and never fall through, and every label is
 * placed after every jump to it, so the code is a forward-only DAG. The optimiser is a small
 * forward data-flow pass over "what does A hold": it removes a load when A already holds that
 * load's value on every path, and folds a comparison whose outcome is known from an earlier
 * comparison of the same value on every path (so {@code ip and tcp} tests the ethertype once).
 * Both are verdict-preserving: a removed load had already succeeded earlier on the same path,
 * so it cannot be the out-of-bounds load that would have rejected the packet. Then dead code
 * is dropped, jumps to jumps are threaded, and conditional jumps whose target is more than 255
 * instructions away get a {@code ja} trampoline.
 */
final class BpfAssembler {
    /** A jump target. */
    static final class Label {}

    private interface Item {}

    private record Stmt(int code, int k) implements Item {}

    private record Cond(int code, int k, Label t, Label f) implements Item {}

    private record Ja(Label target) implements Item {}

    private record Mark(Label label) implements Item {}

    private List<Item> items = new ArrayList<>();

    void stmt(int code, int k) { items.add(new Stmt(code, k)); }

    void cond(int code, int k, Label t, Label f) { items.add(new Cond(code, k, t, f)); }

    void ja(Label l) { items.add(new Ja(l)); }

    void mark(Label l) { items.add(new Mark(l)); }

    /** Optimises (if asked), lays out and validates the program. */
    BpfProgram assemble(boolean optimise) {
        if (optimise) {
            for (int round = 0; round < 20; round++) {
                boolean changed = dataflow();
                changed |= removeDeadLoads();
                changed |= cleanup();
                if (!changed) break;
            }
        } else {
            cleanup();
        }
        return layout();
    }

    // ---------------------------------------------------------------- data flow on A

    /**
     * What is known about one packet field (or constant): it is one of {@code oneOf} (null: any
     * value) and none of {@code ne}. Sets are small: a few ethertypes or protocol numbers.
     */
    private record Fact(Set<Integer> oneOf, Set<Integer> ne) {
        static final Fact NONE = new Fact(null, Set.of());
        static final int MAX = 64;

        Fact withEq(int v) { return new Fact(Set.of(v), Set.of()); }

        Fact withNe(int v) {
            if (oneOf != null) {
                Set<Integer> s = new HashSet<>(oneOf);
                s.remove(v);
                return new Fact(s, Set.of());
            }
            Set<Integer> s = new HashSet<>(ne);
            s.add(v);
            return new Fact(null, s);
        }

        boolean excludes(int v) { return oneOf != null ? !oneOf.contains(v) : ne.contains(v); }

        static Fact meet(Fact a, Fact b) {
            if (a == null || b == null) return null;
            Set<Integer> one = null;
            if (a.oneOf != null && b.oneOf != null) {
                one = new HashSet<>(a.oneOf);
                one.addAll(b.oneOf);
                if (one.size() > MAX) one = null;
            }
            Set<Integer> ne = new HashSet<>();
            if (one == null) {
                for (int v : a.oneOf != null ? b.ne : a.ne) if (a.excludes(v) && b.excludes(v)) ne.add(v);
                if (a.oneOf == null && b.oneOf == null) { ne.clear(); for (int v : a.ne) if (b.ne.contains(v)) ne.add(v); }
                if (ne.isEmpty()) return null;
            }
            return new Fact(one, ne);
        }
    }

    /**
     * The data-flow state: which load A holds ({@code aKey}, null if unknown) and what is known
     * about every field loaded so far. Packet bytes never change while a filter runs, so facts
     * about a field stay true after A is overwritten.
     */
    private record AState(String aKey, Map<String, Fact> facts, Set<String> done) {
        static final AState UNKNOWN = new AState(null, Map.of(), Set.of());

        Fact fact() { return aKey == null ? null : facts.getOrDefault(aKey, Fact.NONE); }

        AState load(String key) {
            Set<String> d = new HashSet<>(done);
            d.add(key);
            return new AState(key, facts, d);
        }

        AState clobberA() { return new AState(null, facts, done); }

        /**
         * A now holds a value computed from the packet only ({@code and #k} of a load): it gets a
         * key of its own, so comparisons of it are remembered like those of a load. This is how
         * libpcap's value numbering sees that under MPLS {@code ip} and {@code ip6} (version nibble
         * 4, then 6) exclude each other.
         */
        AState derive(String key) { return new AState(key, facts, done); }

        AState withFact(Fact f) {
            Map<String, Fact> m = new HashMap<>(facts);
            m.put(aKey, f);
            return new AState(aKey, m, done);
        }

        static AState meet(AState a, AState b) {
            String k = Objects.equals(a.aKey, b.aKey) ? a.aKey : null;
            Map<String, Fact> m = new HashMap<>();
            for (Map.Entry<String, Fact> e : a.facts.entrySet()) {
                Fact f = Fact.meet(e.getValue(), b.facts.get(e.getKey()));
                if (f != null) m.put(e.getKey(), f);
            }
            Set<String> d = new HashSet<>(a.done);
            d.retainAll(b.done);
            return new AState(k, m, d);
        }
    }

    /** Marker for "this point is unreachable" (the top of the lattice). */
    private static final AState UNREACHABLE = new AState("\u0000unreachable", Map.of(), Set.of());

    private static AState join(AState a, AState b) {
        if (a == UNREACHABLE) return b;
        if (b == UNREACHABLE) return a;
        return AState.meet(a, b);
    }

    private static String loadKey(int code, int k) {
        switch (code) {
            case LD | W | ABS: case LD | H | ABS: case LD | B | ABS: case LD | W | LEN: case LD | IMM:
                return code + ":" + k;
            default:
                return null;
        }
    }

    /**
     * {@code and #0} and {@code mul #0} set A to 0 whatever it held: libpcap's optimizer rewrites
     * them to {@code ld #0} (optimize.c opt_stmt), so the load before them is dead and goes. That
     * is how {@code net 0.0.0.0/0} compiles to "IPv4, ARP or RARP" with no address load, and
     * accepts an ARP or IPv4 frame cut before the addresses.
     */
    private static boolean zeroesA(int code, int k) {
        return k == 0 && (code == (ALU | AND | K) || code == (ALU | MUL | K));
    }

    private static boolean keepsA(int code) {
        int c = cls(code);
        return c == LDX || c == ST || c == STX || code == (MISC | TAX);
    }

    /**
     * Backward liveness of A: removes loads into A whose value no path reads. Like libpcap's
     * optimizer (optimize.c treats loads as free of side effects), this also removes packet loads
     * that could have failed: a filter whose result does not depend on a byte never reads it, so
     * for example {@code not ip6 multicast or not vlan 100} (always true) accepts even a 3-byte
     * frame, as tcpdump's program does. Returns true if anything was removed.
     */
    private boolean removeDeadLoads() {
        Map<Label, Boolean> liveAt = new IdentityHashMap<>();
        boolean live = false, changed = false;
        List<Item> out = new ArrayList<>(items.size());
        for (int i = items.size() - 1; i >= 0; i--) {
            Item it = items.get(i);
            if (!live && it instanceof Stmt st && (cls(st.code) == LD || st.code == (MISC | TXA))) {
                changed = true; // a load of A nobody reads: drop it (A stays dead before it)
                continue;
            }
            live = liveBefore(it, live, liveAt);
            out.add(it);
        }
        java.util.Collections.reverse(out);
        items = out;
        return changed;
    }

    /**
     * The backward transfer of A's liveness across one item: whether A is read (before being
     * overwritten) from just before {@code it}, given {@code live} just after it. Records the
     * liveness at each label in {@code liveAt} for jumps to it (unknown targets count as live).
     */
    private static boolean liveBefore(Item it, boolean live, Map<Label, Boolean> liveAt) {
        if (it instanceof Mark m) {
            liveAt.put(m.label, live);
            return live;
        }
        if (it instanceof Ja j) {
            return liveAt.getOrDefault(j.target, true);
        }
        if (it instanceof Cond) {
            return true;
        }
        if (it instanceof Stmt st) {
            int c = st.code;
            if (c == (RET | K)) return false;
            if (c == (RET | A)) return true;
            if (cls(c) == LD || c == (MISC | TXA)) return false;
            if (zeroesA(c, st.k)) return false; // A's old value is not read
            if (cls(c) == ALU || c == ST || c == (MISC | TAX)) return true;
            // LDX, STX: A untouched
        }
        return live;
    }

    /** Whether A is read (before being overwritten) on some path from each label. */
    private Map<Label, Boolean> liveness() {
        Map<Label, Boolean> liveAt = new IdentityHashMap<>();
        boolean live = false;
        for (int i = items.size() - 1; i >= 0; i--) {
            live = liveBefore(items.get(i), live, liveAt);
        }
        return liveAt;
    }

    /**
     * Jump threading along one edge, as libpcap's optimizer does per edge (optimize.c opt_j):
     * follows {@code target} while what is known on this edge decides every comparison met, and
     * returns the furthest label so reached where the program may continue with the A of this
     * edge (the same load, or A dead there), else {@code target}. Only loads of A that already
     * succeeded on this path (so cannot fail), and decided comparisons, are skipped: the verdict
     * is unchanged. Without this, a re-test of a known field after a branch kept a later,
     * irrelevant load alive, and a frame too short for it was rejected where libpcap accepts
     * ({@code ip6 proto 17 or ip6 proto 44} on a short IPv6 frame with a fragment header).
     */
    private Label thread(Label target, AState s, Map<Label, Integer> markAt, Map<Label, Boolean> liveAt) {
        Label best = target;
        Integer at = markAt.get(target);
        if (at == null) return target;
        int i = at;
        AState st = s;
        for (int steps = 0; steps < 256 && i < items.size(); steps++) {
            Item it = items.get(i);
            if (it instanceof Mark) { i++; continue; }
            Label next;
            if (it instanceof Stmt x) {
                String key = loadKey(x.code, x.k);
                if (key == null && x.code == (ALU | AND | K) && x.k != 0 && st.aKey() != null && !st.aKey().contains("&")) {
                    st = st.derive(st.aKey() + "&" + x.k);
                    i++;
                    continue;
                }
                if (key == null) break;
                boolean cannotFail = x.code == (LD | IMM) || x.code == (LD | W | LEN) || st.done().contains(key);
                if (!cannotFail) break;
                st = st.load(key);
                if (x.code == (LD | IMM)) st = st.withFact(Fact.NONE.withEq(x.k));
                i++;
                continue;
            } else if (it instanceof Ja j) {
                next = j.target;
            } else if (it instanceof Cond c) {
                Fact f = st.fact();
                Boolean known = f == null ? null : decide(c, f);
                if (known == null) break;
                next = known ? c.t : c.f;
            } else {
                break;
            }
            if (Objects.equals(st.aKey(), s.aKey()) || !liveAt.getOrDefault(next, true)) best = next;
            Integer n = markAt.get(next);
            if (n == null) break;
            i = n;
        }
        return best;
    }

    /** One forward pass; returns true if anything changed. */
    private boolean dataflow() {
        Map<Label, Boolean> liveAt = liveness();
        Map<Label, Integer> markAt = new IdentityHashMap<>();
        for (int i = 0; i < items.size(); i++) if (items.get(i) instanceof Mark m) markAt.put(m.label, i);
        Map<Label, AState> incoming = new IdentityHashMap<>();
        List<Item> out = new ArrayList<>(items.size());
        AState cur = AState.UNKNOWN;
        boolean changed = false;
        for (int idx = 0; idx < items.size(); idx++) {
            Item it = items.get(idx);
            if (it instanceof Mark m) {
                AState in = incoming.getOrDefault(m.label, UNREACHABLE);
                cur = join(cur, in);
                out.add(it);
            } else if (cur == UNREACHABLE) {
                out.add(it); // dead code, removed by cleanup()
            } else if (it instanceof Stmt s) {
                String key = zeroesA(s.code, s.k) ? loadKey(LD | IMM, 0) : loadKey(s.code, s.k);
                if (zeroesA(s.code, s.k)) {
                    changed |= true;
                    out.add(new Stmt(LD | IMM, 0));
                    cur = cur.load(key).withFact(Fact.NONE.withEq(0));
                    continue;
                }
                if (key == null && s.code == (ALU | AND | K) && cur.aKey != null && !cur.aKey.contains("&")) {
                    out.add(it);
                    cur = cur.derive(cur.aKey + "&" + s.k);
                    continue;
                }
                if (key != null) {
                    if (key.equals(cur.aKey)) { changed = true; continue; } // redundant load
                    cur = cur.load(key);
                    if (s.code == (LD | IMM)) cur = cur.withFact(Fact.NONE.withEq(s.k));
                } else if (!keepsA(s.code) && cls(s.code) != RET) {
                    cur = cur.clobberA();
                }
                out.add(it);
                if (cls(s.code) == RET) cur = UNREACHABLE;
            } else if (it instanceof Ja j) {
                incoming.put(j.target, join(incoming.getOrDefault(j.target, UNREACHABLE), cur));
                out.add(it);
                cur = UNREACHABLE;
            } else if (it instanceof Cond c) {
                Fact f = cur.fact();
                Boolean known = f == null ? null : decide(c, f);
                if (known != null) {
                    Label target = thread(known ? c.t : c.f, cur, markAt, liveAt);
                    incoming.put(target, join(incoming.getOrDefault(target, UNREACHABLE), cur));
                    out.add(new Ja(target));
                    changed = true;
                } else {
                    AState ts = cur, fs = cur;
                    if (f != null && c.code == (JMP | JEQ | K)) {
                        ts = cur.withFact(f.withEq(c.k));
                        fs = cur.withFact(f.withNe(c.k));
                    }
                    Label t = thread(c.t, ts, markAt, liveAt), fl = thread(c.f, fs, markAt, liveAt);
                    incoming.put(t, join(incoming.getOrDefault(t, UNREACHABLE), ts));
                    incoming.put(fl, join(incoming.getOrDefault(fl, UNREACHABLE), fs));
                    if (t != c.t || fl != c.f) {
                        changed = true;
                        out.add(new Cond(c.code, c.k, t, fl));
                    } else {
                        out.add(it);
                    }
                }
                cur = UNREACHABLE;
            }
        }
        items = out;
        return changed;
    }

    /** The outcome of a K comparison when something is known about A, or null. */
    private static Boolean decide(Cond c, Fact s) {
        if (src(c.code) != K) return null;
        if (s.oneOf != null && !s.oneOf.isEmpty()) {
            Boolean r = null;
            for (int a : s.oneOf) {
                boolean v;
                switch (op(c.code)) {
                    case JEQ: v = a == c.k; break;
                    case JGT: v = Integer.compareUnsigned(a, c.k) > 0; break;
                    case JGE: v = Integer.compareUnsigned(a, c.k) >= 0; break;
                    case JSET: v = (a & c.k) != 0; break;
                    default: return null;
                }
                if (r == null) r = v;
                else if (r != v) return null;
            }
            return r;
        }
        if (op(c.code) == JEQ && s.excludes(c.k)) return false;
        return null;
    }

    /** True if every return of the program is "ret #0": it can accept nothing. */
    static boolean rejectsAll(BpfProgram p) {
        for (int i = 0; i < p.length(); i++) {
            BpfInsn in = p.get(i);
            if (cls(in.code()) == RET && !(in.code() == (RET | K) && in.k() == 0)) return false;
        }
        return true;
    }

    // ---------------------------------------------------------------- cleanup

    /** Removes dead code and unused labels, threads jumps; returns true if anything changed. */
    private boolean cleanup() {
        boolean changed = false;
        // label -> the label/Ja it forwards to (a Mark followed directly by a Ja)
        Map<Label, Label> forward = new IdentityHashMap<>();
        for (int i = 0; i < items.size(); i++) {
            if (items.get(i) instanceof Mark m) {
                int j = i + 1;
                while (j < items.size() && items.get(j) instanceof Mark) j++;
                if (j < items.size() && items.get(j) instanceof Ja ja && ja.target != m.label) forward.put(m.label, ja.target);
                else if (j < items.size() && items.get(j) instanceof Mark) { /* unreachable */ }
            }
        }
        // also: consecutive marks are aliases of the last one
        for (int i = items.size() - 1; i > 0; i--) {
            if (items.get(i) instanceof Mark m2 && items.get(i - 1) instanceof Mark m1 && !forward.containsKey(m1.label))
                forward.put(m1.label, m2.label);
        }
        List<Item> threaded = new ArrayList<>(items.size());
        for (Item it : items) {
            if (it instanceof Cond c) {
                Label t = resolve(forward, c.t), f = resolve(forward, c.f);
                if (t == f) { threaded.add(new Ja(t)); changed = true; }
                else {
                    if (t != c.t || f != c.f) changed = true;
                    threaded.add(new Cond(c.code, c.k, t, f));
                }
            } else if (it instanceof Ja j) {
                Label t = resolve(forward, j.target);
                if (t != j.target) changed = true;
                threaded.add(new Ja(t));
            } else {
                threaded.add(it);
            }
        }
        // remove unreachable items and jumps to the next instruction; drop unused marks
        boolean again = true;
        while (again) {
            again = false;
            Set<Label> used = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
            for (Item it : threaded) {
                if (it instanceof Cond c) { used.add(c.t); used.add(c.f); }
                else if (it instanceof Ja j) used.add(j.target);
            }
            List<Item> out = new ArrayList<>(threaded.size());
            boolean reachable = true;
            for (int i = 0; i < threaded.size(); i++) {
                Item it = threaded.get(i);
                if (it instanceof Mark m) {
                    if (!used.contains(m.label)) { again |= true; continue; }
                    reachable = true;
                    out.add(it);
                    continue;
                }
                if (!reachable) { again = true; continue; }
                if (it instanceof Ja j && nextIsMark(threaded, i + 1, j.target)) { again = true; continue; }
                out.add(it);
                if (it instanceof Ja || it instanceof Cond || (it instanceof Stmt s && cls(s.code) == RET)) reachable = false;
            }
            if (again) changed = true;
            if (out.size() == threaded.size()) again = false;
            threaded = out;
        }
        items = threaded;
        return changed;
    }

    private static boolean nextIsMark(List<Item> l, int from, Label target) {
        for (int i = from; i < l.size() && l.get(i) instanceof Mark m; i++) if (m.label == target) return true;
        return false;
    }

    private static Label resolve(Map<Label, Label> forward, Label l) {
        Label cur = l;
        for (int guard = 0; guard < 10000; guard++) {
            Label next = forward.get(cur);
            if (next == null || next == cur) return cur;
            cur = next;
        }
        return cur;
    }

    // ---------------------------------------------------------------- layout

    private BpfProgram layout() {
        List<Item> list = new ArrayList<>(items);
        while (true) {
            Map<Label, Integer> pos = new HashMap<>();
            List<Integer> index = new ArrayList<>();
            int n = 0;
            for (Item it : list) {
                if (it instanceof Mark m) pos.put(m.label, n);
                else { index.add(n); n++; }
            }
            // find the first conditional jump whose offset does not fit in 8 bits
            int at = -1, insn = 0;
            Cond far = null;
            for (int i = 0; i < list.size() && far == null; i++) {
                Item it = list.get(i);
                if (it instanceof Mark) continue;
                if (it instanceof Cond c && (pos.get(c.t) - insn - 1 > 255 || pos.get(c.f) - insn - 1 > 255)) {
                    far = c;
                    at = i;
                }
                insn++;
            }
            if (far == null) {
                List<BpfInsn> out = new ArrayList<>(n);
                int i = 0;
                for (Item it : list) {
                    if (it instanceof Mark) continue;
                    if (it instanceof Stmt s) out.add(BpfInsn.stmt(s.code, s.k));
                    else if (it instanceof Ja j) out.add(BpfInsn.jump(JMP | JA, pos.get(j.target) - i - 1, 0, 0));
                    else if (it instanceof Cond c) out.add(BpfInsn.jump(c.code, c.k, pos.get(c.t) - i - 1, pos.get(c.f) - i - 1));
                    i++;
                }
                if (out.size() > Bpf.MAXINSNS) {
                    // the kernel refuses more (SO_ATTACH_FILTER, BPF_MAXINSNS), and so do our validator and
                    // JIT: a clear error for the expression rather than a program nobody can load
                    throw new FilterSyntaxException("error", 1, "expression too complex: it compiles to " + out.size()
                            + " instructions, more than BPF's " + Bpf.MAXINSNS, "");
                }
                return new BpfProgram(out);
            }
            // trampolines right after the jump: cond t'->[ja t], f'->[ja f]
            Label nt = new Label(), nf = new Label();
            List<Item> tramp = new ArrayList<>();
            tramp.add(new Mark(nt));
            tramp.add(new Ja(far.t));
            tramp.add(new Mark(nf));
            tramp.add(new Ja(far.f));
            list.set(at, new Cond(far.code, far.k, nt, nf));
            list.addAll(at + 1, tramp);
        }
    }
}

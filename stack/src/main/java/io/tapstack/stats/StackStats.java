package io.tapstack.stats;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * All counter groups of one stack, in print order, like {@code netstat -s}. Each protocol
 * module registers its own {@link Counters}.
 */
public final class StackStats {
    private final List<Counters<?>> groups = new ArrayList<>();

    public <E extends Enum<E>> Counters<E> register(String group, Class<E> type) {
        Counters<E> c = new Counters<>(group, type);
        groups.add(c);
        return c;
    }

    public List<Counters<?>> groups() {
        return groups;
    }

    /** group → (counter → value). */
    public Map<String, Map<String, Long>> snapshot() {
        Map<String, Map<String, Long>> m = new LinkedHashMap<>();
        for (Counters<?> c : groups) {
            m.merge(c.group(), c.snapshot(), (a, b) -> {
                Map<String, Long> r = new LinkedHashMap<>(a);
                r.putAll(b);
                return r;
            });
        }
        return m;
    }

    /** Looks up one counter as "group.name"; -1 if absent. */
    public long get(String dotted) {
        int dot = dotted.indexOf('.');
        String g = dotted.substring(0, dot);
        String n = dotted.substring(dot + 1);
        Map<String, Long> grp = snapshot().get(g);
        if (grp == null) {
            return -1;
        }
        Long v = grp.get(n);
        return v == null ? -1 : v;
    }

    /** Multi-line text: non-zero counters of each group (all of them if {@code all}). */
    public String format(boolean all) {
        return format(snapshot(), all);
    }

    /** Sums snapshots (of the stacks of a multi-queue host) counter by counter. */
    public static Map<String, Map<String, Long>> sum(List<Map<String, Map<String, Long>>> snaps) {
        Map<String, Map<String, Long>> m = new LinkedHashMap<>();
        for (Map<String, Map<String, Long>> s : snaps) {
            for (Map.Entry<String, Map<String, Long>> g : s.entrySet()) {
                Map<String, Long> dst = m.computeIfAbsent(g.getKey(), k -> new LinkedHashMap<>());
                g.getValue().forEach((k, v) -> dst.merge(k, v, Long::sum));
            }
        }
        return m;
    }

    /** Multi-line text of a snapshot, as {@link #format(boolean)}. */
    public static String format(Map<String, Map<String, Long>> snapshot, boolean all) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Map<String, Long>> g : snapshot.entrySet()) {
            StringBuilder lines = new StringBuilder();
            for (Map.Entry<String, Long> e : g.getValue().entrySet()) {
                if (all || e.getValue() != 0) {
                    lines.append("    ").append(e.getValue()).append(' ').append(e.getKey()).append('\n');
                }
            }
            if (lines.length() > 0) {
                sb.append(g.getKey()).append(":\n").append(lines);
            }
        }
        return sb.toString();
    }
}

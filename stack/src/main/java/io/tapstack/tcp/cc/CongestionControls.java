package io.tapstack.tcp.cc;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Congestion-control algorithms by name ({@code TcpConfig.congestionControl}).
 *
 * <p>The registry is an immutable map published through a volatile field: {@link #create}, which
 * runs on the loop thread for every new connection, reads it without a lock; {@link #register}
 * (rare, at start-up) builds a new map under a lock and publishes it.
 */
public final class CongestionControls {
    private static final Object REGISTER_LOCK = new Object();
    private static volatile Map<String, Supplier<CongestionControl>> algos = builtIns();

    private CongestionControls() {
    }

    private static Map<String, Supplier<CongestionControl>> builtIns() {
        Map<String, Supplier<CongestionControl>> m = new TreeMap<>();
        m.put("newreno", NewReno::new);
        m.put("reno", NewReno::new);
        m.put("cubic", Cubic::new);
        return Map.copyOf(m);
    }

    /** Adds (or replaces) an algorithm; copy-on-write, so readers never lock. */
    public static void register(String name, Supplier<CongestionControl> f) {
        synchronized (REGISTER_LOCK) {
            Map<String, Supplier<CongestionControl>> m = new TreeMap<>(algos);
            m.put(name, f);
            algos = Map.copyOf(m);
        }
    }

    /** A new instance of the named algorithm; NewReno for an unknown name. Lock-free. */
    public static CongestionControl create(String name) {
        Supplier<CongestionControl> f = name == null ? null : algos.get(name);
        return f != null ? f.get() : new NewReno();
    }

    public static Set<String> names() {
        return algos.keySet();
    }
}

package io.tapstack.tcp.cc;

import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/** Congestion-control algorithms by name ({@code TcpConfig.congestionControl}). */
public final class CongestionControls {
    private static final Map<String, Supplier<CongestionControl>> ALGOS = new TreeMap<>();

    static {
        register("newreno", NewReno::new);
        register("reno", NewReno::new);
        register("cubic", Cubic::new);
    }

    private CongestionControls() {
    }

    public static synchronized void register(String name, Supplier<CongestionControl> f) {
        ALGOS.put(name, f);
    }

    /** A new instance of the named algorithm; NewReno for an unknown name. */
    public static synchronized CongestionControl create(String name) {
        Supplier<CongestionControl> f = ALGOS.get(name);
        return f != null ? f.get() : new NewReno();
    }

    public static synchronized java.util.Set<String> names() {
        return java.util.Set.copyOf(ALGOS.keySet());
    }
}

package io.tapstack.service;

import io.tapstack.EventLoop;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The built-in services by name, for {@code tapstack run --services a,b,c}. */
public final class ServiceRegistry {
    /** Starts a service on a loop; called from any thread, marshals onto the loop itself. */
    @FunctionalInterface
    public interface Factory {
        Service start(EventLoop loop, ServiceOptions options) throws Exception;
    }

    private static final Map<String, Factory> FACTORIES = new TreeMap<>();

    static {
        BuiltinServices.registerAll();
    }

    private ServiceRegistry() {
    }

    public static synchronized void register(String name, Factory f) {
        FACTORIES.put(name, f);
    }

    public static synchronized Set<String> names() {
        return Set.copyOf(FACTORIES.keySet());
    }

    public static synchronized Factory get(String name) {
        return FACTORIES.get(name);
    }
}

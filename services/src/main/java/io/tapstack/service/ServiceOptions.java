package io.tapstack.service;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Options shared by the built-in services (ports, HTTP root, …). */
public final class ServiceOptions {
    /** Directory served by the HTTP service; null = a generated index page. */
    public Path httpRoot;
    /** Port overrides by service name (default ports: echo 7, discard 9, http 80). */
    public final Map<String, Integer> ports = new HashMap<>();
    /**
     * State that a service shares between the loops of one host (a multi-queue TAP has one loop
     * per queue, and one client's connections may land on different queues).
     */
    public final Map<String, Object> shared = new java.util.concurrent.ConcurrentHashMap<>();

    public int port(String service, int dflt) {
        return ports.getOrDefault(service, dflt);
    }
}

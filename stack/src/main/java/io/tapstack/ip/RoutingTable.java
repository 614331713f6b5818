package io.tapstack.ip;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** IPv4 routes, longest prefix first (RFC 1812 §5.2.4.3 longest match; a host's table is small). */
public final class RoutingTable {
    private Route[] routes = new Route[0];

    public synchronized void add(Route r) {
        List<Route> l = new ArrayList<>(List.of(routes));
        l.add(r);
        l.sort(Comparator.comparingInt(Route::length).reversed());
        routes = l.toArray(new Route[0]);
    }

    /** Removes every route that {@code which} selects (an address or a gateway going away). */
    public synchronized void removeIf(java.util.function.Predicate<Route> which) {
        List<Route> l = new ArrayList<>(List.of(routes));
        if (l.removeIf(which)) {
            routes = l.toArray(new Route[0]);
        }
    }

    /** The best route for {@code dst}, or null (no route to host). */
    public Route lookup(int dst) {
        Route[] rs = routes;
        for (Route r : rs) {
            if (r.matches(dst)) {
                return r;
            }
        }
        return null;
    }

    public List<Route> routes() {
        return List.of(routes);
    }
}

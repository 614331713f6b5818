package io.tapstack.ip;

import io.tapstack.wire.InterfaceAddress;
import io.tapstack.wire.Ipv4Address;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RoutingTableTest {
    private static int ip(String s) {
        return Ipv4Address.parse(s);
    }

    @Test
    void longestPrefixWins_rfc1812s52443() {
        RoutingTable t = new RoutingTable();
        t.add(new Route(0, 0, ip("10.0.0.254"), ip("10.0.0.2")));
        t.add(new Route(ip("10.0.0.0"), 24, 0, ip("10.0.0.2")));
        t.add(new Route(ip("10.0.0.128"), 25, ip("10.0.0.1"), ip("10.0.0.2")));
        t.add(new Route(ip("10.0.0.77"), 32, 0, ip("10.0.0.2")));
        assertEquals(32, t.lookup(ip("10.0.0.77")).length());
        assertEquals(25, t.lookup(ip("10.0.0.200")).length());
        assertEquals(24, t.lookup(ip("10.0.0.5")).length());
        Route def = t.lookup(ip("8.8.8.8"));
        assertEquals(0, def.length());
        assertFalse(def.onLink());
        assertEquals(ip("10.0.0.254"), def.gateway());
        assertEquals("0.0.0.0/0 via 10.0.0.254 src 10.0.0.2", def.toString());
        assertEquals(4, t.routes().size());
    }

    @Test
    void noRouteIsNull() {
        RoutingTable t = new RoutingTable();
        t.add(new Route(ip("10.0.0.0"), 24, 0, ip("10.0.0.2")));
        assertNull(t.lookup(ip("10.0.1.1")));
    }

    @Test
    void interfaceAddress_rfc919_rfc3021() {
        InterfaceAddress a = InterfaceAddress.parse("10.0.0.2/24");
        assertEquals(ip("10.0.0.0"), a.network());
        assertEquals(ip("10.0.0.255"), a.broadcast());
        assertTrue(a.contains(ip("10.0.0.200")));
        assertFalse(a.contains(ip("10.0.1.2")));
        assertEquals("10.0.0.2/24", a.toString());
        assertEquals(0, InterfaceAddress.parse("10.0.0.2/31").broadcast(), "no broadcast on a /31 (RFC 3021)");
        assertEquals(0, InterfaceAddress.parse("10.0.0.2/32").broadcast());
        assertTrue(InterfaceAddress.parse("10.0.0.2/0").contains(ip("1.2.3.4")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.2", "10.0.0.2/33", "10.0.0.2/-1", "10.0.0.2/x", "224.0.0.1/4", "0.0.0.0/0",
            "255.255.255.255/32", "127.0.0.1/8", "10.0.0/24"})
    void interfaceAddressParseErrors(String s) {
        assertThrows(IllegalArgumentException.class, () -> InterfaceAddress.parse(s));
    }
}

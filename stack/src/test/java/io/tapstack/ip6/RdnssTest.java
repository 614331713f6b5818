package io.tapstack.ip6;

import io.tapstack.Frames;
import io.tapstack.TwoHosts;
import io.tapstack.dns.Resolver;
import io.tapstack.wire.Icmpv6;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.NdpOptions;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 8106 Recursive DNS Server options in router advertisements feed the stack's resolver. */
class RdnssTest {
    static final IpAddr ROUTER = IpAddr.parse("fe80::1");
    static final IpAddr ALL = IpAddr.parse("ff02::1");

    /** An RA (router lifetime 0: it only carries the option) with one RDNSS option. */
    static byte[] raWithRdnss(long lifetime, int lengthUnits, IpAddr... servers) {
        ByteBuffer b = ByteBuffer.allocate(16 + 8 * lengthUnits);
        Icmpv6.emitHeader(b, 0, Icmpv6.ROUTER_ADVERTISEMENT, 0, 64 << 24);
        int at = 16;
        b.put(at, (byte) NdpOptions.RDNSS);
        b.put(at + 1, (byte) lengthUnits);
        b.putInt(at + 4, (int) lifetime);
        for (int i = 0; i < servers.length && 24 + 16 * i <= 8 * lengthUnits; i++) {
            b.putLong(at + 8 + 16 * i, servers[i].hi()).putLong(at + 16 + 16 * i, servers[i].lo());
        }
        return b.array();
    }

    static void inject(TwoHosts h, byte[] ra) {
        h.wireB.inject(Frames.ipv6(0x333300000001L, 0x02aaaaaaaaaaL, ROUTER.hi(), ROUTER.lo(), ALL.hi(), ALL.lo(), 58, 255,
                Ipv6InputTest.nd(ROUTER, ALL, ra)));
        h.settle();
    }

    @Test
    void serversAreLearntExpireAndAreBounded() {
        TwoHosts h = Ipv6PingTest.v6Hosts();
        IpAddr s1 = IpAddr.parse("2001:db8::53");
        IpAddr s2 = IpAddr.parse("2001:db8::54");
        inject(h, raWithRdnss(10, 5, s1, s2));
        assertEquals(List.of(s1, s2), h.b.ndp().dnsServers());
        assertEquals(List.of(s1, s2), h.b.resolver().servers());
        // §5.1: lifetime 0 removes a server
        inject(h, raWithRdnss(0, 3, s2));
        assertEquals(List.of(s1), h.b.resolver().servers());
        // the lifetime runs out
        h.run(11_000_000_000L, 1_000_000_000L);
        assertTrue(h.b.resolver().servers().isEmpty());
        assertEquals(1, h.b.ndp().counters().get(NdpCounter.RDNSS_EXPIRED));
        // at most three kept (§5.3.1)
        inject(h, raWithRdnss(100, 9, IpAddr.parse("2001:db8::1:1"), IpAddr.parse("2001:db8::1:2"),
                IpAddr.parse("2001:db8::1:3"), IpAddr.parse("2001:db8::1:4")));
        assertEquals(Ndp.MAX_RDNSS, h.b.ndp().dnsServers().size());
        // static servers come first
        h.b.resolver().setServers(Resolver.Source.STATIC, List.of(IpAddr.parse("10.0.0.53")));
        assertEquals(IpAddr.parse("10.0.0.53"), h.b.resolver().servers().get(0));
    }

    @Test
    void malformedOptionsAreDroppedAndCounted() {
        TwoHosts h = Ipv6PingTest.v6Hosts();
        inject(h, raWithRdnss(10, 4, IpAddr.parse("2001:db8::53"))); // even length: not whole addresses
        assertEquals(1, h.b.ndp().counters().get(NdpCounter.DROP_BAD_RDNSS));
        assertTrue(h.b.ndp().dnsServers().isEmpty());
        inject(h, raWithRdnss(10, 3, IpAddr.parse("ff02::1"))); // multicast is no server
        assertTrue(h.b.ndp().dnsServers().isEmpty());
    }
}

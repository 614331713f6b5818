package io.tapstack.dns;

import io.tapstack.TwoHosts;
import io.tapstack.wire.IpAddr;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The stub resolver of host A against a scripted server on host B, on virtual time. */
class ResolverTest {
    static final long S = 1_000_000_000L;
    final TwoHosts h = new TwoHosts();
    FakeDnsServer server;
    Resolver r;

    /** What a lookup delivered. */
    static final class Result {
        List<IpAddr> addrs;
        IOException error;
        boolean done;
    }

    @BeforeEach
    void setUp() throws Exception {
        server = new FakeDnsServer(h.b);
        r = h.a.resolver();
        r.setServers(Resolver.Source.STATIC, List.of(IpAddr.ofV4(TwoHosts.IP_B)));
        server.add("www.example.test", DnsMessage.TYPE_A, 300, "10.0.0.80");
        server.add("www.example.test", DnsMessage.TYPE_A, 300, "10.0.0.81");
        server.add("www.example.test", DnsMessage.TYPE_AAAA, 300, "fd00::80");
    }

    Result lookup(String name, int type) {
        Result res = new Result();
        r.resolve(name, type, (a, e) -> {
            res.addrs = a;
            res.error = e;
            res.done = true;
        });
        h.until(() -> res.done, 30 * S, S / 10);
        return res;
    }

    long count(DnsCounter c) {
        return r.counters().get(c);
    }

    @Test
    void resolvesAAndAaaa() {
        Result a = lookup("WWW.Example.Test.", DnsMessage.TYPE_A);
        assertNull(a.error);
        assertEquals(List.of(IpAddr.parse("10.0.0.80"), IpAddr.parse("10.0.0.81")), a.addrs);
        Result six = lookup("www.example.test", DnsMessage.TYPE_AAAA);
        assertEquals(List.of(IpAddr.parse("fd00::80")), six.addrs);
        assertEquals(List.of("www.example.test/1", "www.example.test/28"), server.udpQueries);
    }

    @Test
    void resolveAllJoinsBothFamilies() {
        Result res = new Result();
        r.resolveAll("www.example.test", (a, e) -> {
            res.addrs = a;
            res.error = e;
            res.done = true;
        });
        h.until(() -> res.done, 10 * S, S / 10);
        assertEquals(3, res.addrs.size());
        assertTrue(res.addrs.get(0).isV4());
    }

    @Test
    void cachesForTheTtlThenAsksAgain() {
        server.zone.clear();
        server.add("short.test", DnsMessage.TYPE_A, 5, "10.0.0.5");
        lookup("short.test", DnsMessage.TYPE_A);
        lookup("short.test", DnsMessage.TYPE_A);
        assertEquals(1, server.udpQueries.size(), "second lookup answered from the cache");
        assertEquals(1, count(DnsCounter.CACHE_HITS));
        h.run(6 * S, S);
        lookup("short.test", DnsMessage.TYPE_A);
        assertEquals(2, server.udpQueries.size(), "asked again once the TTL ran out");
    }

    @Test
    void negativeAnswersAreCachedForTheSoaTtl() {
        server.soaTtl = 10;
        Result res = lookup("nothing.test", DnsMessage.TYPE_A);
        assertInstanceOf(UnknownHostException.class, res.error);
        assertTrue(res.error.getMessage().contains("no such name"));
        Result again = lookup("nothing.test", DnsMessage.TYPE_A);
        assertNotNull(again.error);
        assertEquals(1, server.udpQueries.size());
        assertEquals(1, count(DnsCounter.CACHE_NEGATIVE_HITS));
        h.run(11 * S, S);
        lookup("nothing.test", DnsMessage.TYPE_A);
        assertEquals(2, server.udpQueries.size());
        // NODATA: the name exists, without AAAA
        server.add("v4only.test", DnsMessage.TYPE_A, 60, "10.0.0.4");
        Result nodata = lookup("v4only.test", DnsMessage.TYPE_AAAA);
        assertTrue(nodata.error.getMessage().contains("no AAAA record"), nodata.error.getMessage());
        assertEquals(1, count(DnsCounter.NODATA));
    }

    @Test
    void withoutSoaANegativeAnswerIsNotCached() {
        server.soaTtl = -1;
        lookup("nothing.test", DnsMessage.TYPE_A);
        lookup("nothing.test", DnsMessage.TYPE_A);
        assertEquals(2, server.udpQueries.size()); // RFC 2308 §5
    }

    @Test
    void followsCnameChainsAndBoundsThem() {
        server.add("alias.test", DnsMessage.TYPE_CNAME, 100, "mid.test");
        server.add("mid.test", DnsMessage.TYPE_CNAME, 100, "www.example.test");
        Result res = lookup("alias.test", DnsMessage.TYPE_A);
        assertEquals(2, res.addrs.size());
        assertEquals(2, count(DnsCounter.CNAME_FOLLOWED));
        // a loop: a -> b -> a ...
        server.add("loop1.test", DnsMessage.TYPE_CNAME, 100, "loop2.test");
        server.add("loop2.test", DnsMessage.TYPE_CNAME, 100, "loop1.test");
        Result loop = lookup("loop1.test", DnsMessage.TYPE_A);
        assertTrue(loop.error.getMessage().contains("CNAME chain"), loop.error.getMessage());
        assertEquals(1, count(DnsCounter.CNAME_TOO_DEEP));
    }

    @Test
    void truncatedAnswerIsRepeatedOverTcp() {
        server.truncateUdp = true;
        Result res = lookup("www.example.test", DnsMessage.TYPE_A);
        assertEquals(2, res.addrs.size());
        assertEquals(1, server.udpQueries.size());
        assertEquals(List.of("www.example.test/1"), server.tcpQueries);
        assertEquals(1, count(DnsCounter.TRUNCATED));
        assertEquals(1, count(DnsCounter.TX_TCP));
    }

    @Test
    void retriesTheNextServerAfterATimeout() {
        // 10.0.0.9 does not exist: its query goes unanswered, the next server answers
        r.setServers(Resolver.Source.STATIC, List.of(IpAddr.parse("10.0.0.9")));
        r.setServers(Resolver.Source.DHCP, List.of(IpAddr.ofV4(TwoHosts.IP_B)));
        Result res = lookup("www.example.test", DnsMessage.TYPE_A);
        assertEquals(2, res.addrs.size());
        assertEquals(1, count(DnsCounter.TIMEOUTS));
        assertEquals(1, count(DnsCounter.RETRIES));
    }

    @Test
    void givesUpAfterEveryAttempt() {
        server.silent = true;
        Result res = lookup("www.example.test", DnsMessage.TYPE_A);
        assertInstanceOf(SocketTimeoutException.class, res.error);
        assertEquals(2, server.udpQueries.size()); // attempts = 2 rounds over one server
    }

    @Test
    void ignoresAnswersWithAnotherIdOrQuestion() {
        server.idDelta = 1;
        Result res = lookup("www.example.test", DnsMessage.TYPE_A);
        assertNotNull(res.error);
        assertEquals(2, count(DnsCounter.DROP_ID_MISMATCH));
        server.idDelta = 0;
        server.wrongQuestion = "evil.test";
        res = lookup("www.example.test", DnsMessage.TYPE_A);
        assertNotNull(res.error);
        assertEquals(2, count(DnsCounter.DROP_QUESTION_MISMATCH));
        assertEquals(0, r.cacheSize(), "nothing spoofed was cached");
    }

    @Test
    void serverFailureMovesOnAndLiteralsNeedNoServer() {
        server.rcode = DnsMessage.RCODE_SERVFAIL;
        Result res = lookup("www.example.test", DnsMessage.TYPE_A);
        assertNotNull(res.error);
        assertEquals(2, count(DnsCounter.SERVER_FAILURES));
        r.setServers(Resolver.Source.STATIC, List.of());
        assertEquals(List.of(IpAddr.parse("10.1.2.3")), lookup("10.1.2.3", DnsMessage.TYPE_A).addrs);
        assertEquals(List.of(IpAddr.parse("fd00::1")), lookup("[fd00::1]", DnsMessage.TYPE_AAAA).addrs);
        assertTrue(lookup("x.test", DnsMessage.TYPE_A).error.getMessage().contains("no DNS server"));
    }
}

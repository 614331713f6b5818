package io.tapstack.dhcp;

import io.tapstack.Frames;
import io.tapstack.NetStack;
import io.tapstack.arp.ArpCounter;
import io.tapstack.context.StackConfig;
import io.tapstack.ip.Route;
import io.tapstack.link.PairLink;
import io.tapstack.loop.VirtualClock;
import io.tapstack.wire.InterfaceAddress;
import io.tapstack.wire.MacAddress;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import java.util.function.BooleanSupplier;

import static io.tapstack.dhcp.FakeDhcpServer.OFFERED;
import static io.tapstack.dhcp.FakeDhcpServer.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The DHCP client against a scripted server on virtual time (RFC 2131 §4.4, RFC 5227 §2). */
class DhcpClientTest {
    static final long S = 1_000_000_000L;
    static final long CLIENT_MAC = 0x02000000_0011L;

    final VirtualClock clock = new VirtualClock();
    final PairLink[] wire = PairLink.create(1500);
    final NetStack stack;
    final FakeDhcpServer server = new FakeDhcpServer(wire[0], wire[1]);
    final Frames.Recorder rec = new Frames.Recorder();
    DhcpClient dhcp;

    DhcpClientTest() {
        StackConfig c = new StackConfig();
        c.mac = MacAddress.of(CLIENT_MAC);
        c.ipv6Enabled = false;
        c.seed = 7;
        stack = new NetStack(wire[0], c, clock);
        stack.addFrameTap(rec);
    }

    DhcpClient start(DhcpConfig c) throws Exception {
        dhcp = stack.startDhcp(c);
        return dhcp;
    }

    void step() {
        for (int i = 0; i < 100; i++) {
            stack.poll(clock.nanos());
            server.step(clock.nanos());
            if (wire[0].pending() == 0 && wire[1].pending() == 0) {
                return;
            }
        }
        throw new AssertionError("wire did not settle");
    }

    void until(BooleanSupplier cond, long max) {
        long end = clock.nanos() + max;
        step();
        while (!cond.getAsBoolean()) {
            if (clock.nanos() >= end) {
                throw new AssertionError("not reached within " + max / S + " s; state " + dhcp.state());
            }
            clock.advance(S / 10);
            step();
        }
    }

    void run(long nanos) {
        long end = clock.nanos() + nanos;
        while (clock.nanos() < end) {
            step();
            clock.advance(S / 10);
        }
        step();
    }

    /** The RFC timings, without the ARP check (the tests that are not about it save its seconds). */
    static DhcpConfig withoutProbing() {
        DhcpConfig c = new DhcpConfig();
        c.arpProbe = false;
        return c;
    }

    long count(DhcpCounter c) {
        return dhcp.counters().get(c);
    }

    @Test
    void obtainsLeaseProbesAndAnnounces() throws Exception {
        start(new DhcpConfig());
        until(() -> dhcp.state() == DhcpClient.State.BOUND, 20 * S);
        List<FakeDhcpServer.Sent> disc = server.sent(DhcpMessage.DISCOVER);
        List<FakeDhcpServer.Sent> req = server.sent(DhcpMessage.REQUEST);
        assertEquals(1, disc.size());
        assertEquals(1, req.size());
        // RFC 2131 §4.1: from 0.0.0.0 to the limited broadcast, broadcast flag set
        assertEquals(0, disc.get(0).ipSrc());
        assertEquals(-1, disc.get(0).ipDst());
        assertEquals(Frames.BROADCAST, disc.get(0).ethDst());
        assertEquals(DhcpMessage.FLAG_BROADCAST, disc.get(0).m().flags);
        assertEquals(CLIENT_MAC, disc.get(0).m().chaddr);
        // RFC 2131 §4.3.2 SELECTING: same xid, requested address and server id, ciaddr 0
        DhcpMessage r = req.get(0).m();
        assertEquals(disc.get(0).m().xid, r.xid);
        assertEquals(OFFERED, r.requestedIp);
        assertEquals(SERVER, r.serverId);
        assertEquals(0, r.ciaddr);
        // RFC 5227 §2.1.1: three probes from 0.0.0.0, then §2.3 announcements
        long probes = server.arp.stream().filter(f -> ByteBuffer.wrap(f).getInt(28) == 0
                && ByteBuffer.wrap(f).getInt(38) == OFFERED).count();
        assertEquals(3, probes);
        Lease l = dhcp.lease();
        assertNotNull(l);
        assertEquals(new InterfaceAddress(OFFERED, 24), l.address());
        assertEquals(SERVER, l.router());
        assertEquals(List.of(FakeDhcpServer.DNS1), l.dns());
        assertEquals(120, l.leaseSeconds());
        assertTrue(stack.config().ipv4.contains(l.address()));
        assertTrue(stack.ipv4().routes().routes().contains(new Route(0, 0, SERVER, OFFERED)));
        run(5 * S);
        long announces = server.arp.stream().filter(f -> ByteBuffer.wrap(f).getInt(28) == OFFERED
                && ByteBuffer.wrap(f).getInt(38) == OFFERED).count();
        assertEquals(2, announces);
        assertEquals(1, count(DhcpCounter.LEASES));
        assertEquals(3, stack.arp().counters().get(ArpCounter.PROBE_SENT));
    }

    @Test
    void retransmitsDiscoverWithExponentialBackoff() throws Exception {
        server.ignoreDiscovers = 3;
        DhcpConfig c = withoutProbing();
        start(c);
        until(() -> dhcp.state() == DhcpClient.State.BOUND, 60 * S);
        List<FakeDhcpServer.Sent> d = server.sent(DhcpMessage.DISCOVER);
        assertEquals(4, d.size());
        // RFC 2131 §4.1: 4, 8, 16 s, each ±1 s (and the 100 ms steps of this test)
        long[] base = {4, 8, 16};
        for (int i = 0; i < 3; i++) {
            long gap = d.get(i + 1).at() - d.get(i).at();
            assertTrue(gap >= (base[i] - 1) * S && gap <= (base[i] + 1) * S + S / 10, "gap " + i + ": " + gap);
            assertEquals(d.get(0).m().xid, d.get(i + 1).m().xid);
        }
    }

    @Test
    void renewsAtT1UnicastAndRebindsAtT2Broadcast() throws Exception {
        DhcpConfig c = withoutProbing();
        c.renewRetransmitMinNanos = 10 * S;
        server.leaseSeconds = 120;
        start(c);
        until(() -> dhcp.state() == DhcpClient.State.BOUND, 20 * S);
        long bound = clock.nanos();
        Lease first = dhcp.lease();
        until(() -> server.sent(DhcpMessage.REQUEST).size() == 2, 70 * S);
        FakeDhcpServer.Sent renew = server.sent(DhcpMessage.REQUEST).get(1);
        // RFC 2131 §4.4.5: at T1 = lease/2, unicast to the server, ciaddr = our address, no options 50/54
        assertTrue(renew.at() - bound >= 58 * S && renew.at() - bound <= 61 * S, "T1 at " + (renew.at() - bound));
        assertEquals(SERVER, renew.ipDst());
        assertEquals(OFFERED, renew.ipSrc());
        assertEquals(OFFERED, renew.m().ciaddr);
        assertEquals(0, renew.m().requestedIp);
        assertEquals(0, renew.m().serverId);
        until(() -> count(DhcpCounter.RENEWED) == 1, 5 * S);
        assertEquals(DhcpClient.State.BOUND, dhcp.state());
        assertTrue(dhcp.lease().expiresAt() > first.expiresAt());

        // the server stops answering renewals: REBINDING at T2 (broadcast), then expiry
        server.renewMode = FakeDhcpServer.Mode.SILENT;
        server.discoverMode = FakeDhcpServer.Mode.SILENT;
        Lease second = dhcp.lease();
        until(() -> dhcp.state() == DhcpClient.State.REBINDING, 120 * S);
        assertTrue(clock.nanos() >= second.t2At());
        FakeDhcpServer.Sent rebind = server.sent.get(server.sent.size() - 1);
        assertEquals(-1, rebind.ipDst());
        assertEquals(OFFERED, rebind.m().ciaddr);
        until(() -> dhcp.lease() == null, 30 * S);
        assertTrue(clock.nanos() >= second.expiresAt());
        assertEquals(1, count(DhcpCounter.EXPIRED));
        assertFalse(stack.config().ipv4.contains(second.address()), "expired address removed");
        assertTrue(stack.ipv4().routes().routes().isEmpty(), "routes of the lease removed");
        int before = server.sent(DhcpMessage.DISCOVER).size();
        run(3 * S);
        assertTrue(server.sent(DhcpMessage.DISCOVER).size() > before, "starts over with DISCOVER");
    }

    @Test
    void nakWhileRenewingRemovesAddressAndRestarts() throws Exception {
        DhcpConfig c = withoutProbing();
        server.t1 = 10;
        start(c);
        until(() -> dhcp.state() == DhcpClient.State.BOUND, 20 * S);
        server.renewMode = FakeDhcpServer.Mode.NAK;
        server.discoverMode = FakeDhcpServer.Mode.SILENT;
        until(() -> count(DhcpCounter.RX_NAK) == 1, 15 * S);
        assertNull(dhcp.lease());
        assertTrue(stack.config().ipv4.isEmpty());
        run(3 * S);
        assertEquals(2, server.sent(DhcpMessage.DISCOVER).size());
        assertNotEquals(server.sent(DhcpMessage.DISCOVER).get(0).m().xid, server.sent(DhcpMessage.DISCOVER).get(1).m().xid);
    }

    @Test
    void nakWhileRequestingRestarts() throws Exception {
        DhcpConfig c = withoutProbing();
        server.requestMode = FakeDhcpServer.Mode.NAK;
        start(c);
        until(() -> count(DhcpCounter.RX_NAK) == 1, 10 * S);
        assertEquals(DhcpClient.State.INIT, dhcp.state());
        server.requestMode = FakeDhcpServer.Mode.ACK;
        until(() -> dhcp.state() == DhcpClient.State.BOUND, 10 * S);
    }

    @Test
    void declinesAnAddressInUse() throws Exception {
        server.claimOffered = true;
        start(new DhcpConfig());
        until(() -> count(DhcpCounter.DECLINED) == 1, 20 * S);
        assertEquals(DhcpClient.State.INIT, dhcp.state());
        assertNull(dhcp.lease());
        assertTrue(stack.config().ipv4.isEmpty(), "a declined address is never configured");
        List<FakeDhcpServer.Sent> decl = server.sent(DhcpMessage.DECLINE);
        assertEquals(1, decl.size());
        assertEquals(OFFERED, decl.get(0).m().requestedIp);
        assertEquals(SERVER, decl.get(0).m().serverId);
        long declinedAt = decl.get(0).at();
        // RFC 2131 §3.1 step 5: wait at least 10 s before the next DISCOVER
        server.claimOffered = false;
        server.offered = OFFERED + 1;
        until(() -> server.sent(DhcpMessage.DISCOVER).size() == 2, 15 * S);
        assertTrue(server.sent(DhcpMessage.DISCOVER).get(1).at() - declinedAt >= 10 * S);
        until(() -> dhcp.state() == DhcpClient.State.BOUND, 20 * S);
        assertEquals(OFFERED + 1, dhcp.lease().address().address());
    }

    @Test
    void malformedAndForeignMessagesAreDroppedAndCounted() throws Exception {
        DhcpConfig c = withoutProbing();
        server.discoverMode = FakeDhcpServer.Mode.SILENT;
        start(c);
        until(() -> dhcp.state() == DhcpClient.State.SELECTING, 5 * S);
        server.injectRaw(new byte[100]);                      // truncated
        byte[] m = new byte[300];
        m[0] = 2;
        m[1] = 1;
        m[2] = 6;
        server.injectRaw(m);                                   // no magic cookie
        ByteBuffer ok = ByteBuffer.allocate(300);
        int at = DhcpMessage.emitHeader(ok, 0, 12345, 0, 0, 0, CLIENT_MAC, DhcpMessage.OFFER);
        ok.put(0, (byte) 2);
        ok.putInt(DhcpMessage.YIADDR, OFFERED);
        ok.put(at, (byte) 54);
        ok.put(at + 1, (byte) 200);                            // option runs past the end
        server.injectRaw(ok.array());
        ok.put(at, (byte) 255);
        server.injectRaw(ok.array());                          // wrong xid
        step();
        assertEquals(1, count(DhcpCounter.DROP_TRUNCATED));
        assertEquals(1, count(DhcpCounter.DROP_BAD_COOKIE));
        assertEquals(1, count(DhcpCounter.DROP_BAD_OPTION));
        assertEquals(1, count(DhcpCounter.DROP_XID_MISMATCH));
        assertEquals(DhcpClient.State.SELECTING, dhcp.state());
        // random bytes and mutations of a valid reply never throw and never bind
        Random rnd = new Random(1);
        for (int i = 0; i < 2000; i++) {
            byte[] g = new byte[rnd.nextInt(600)];
            rnd.nextBytes(g);
            if (i % 2 == 0 && g.length >= 240) {
                ByteBuffer.wrap(g).putInt(DhcpMessage.COOKIE, DhcpMessage.MAGIC);
            }
            dhcp.input(ByteBuffer.wrap(g), 0, g.length);
        }
        assertEquals(DhcpClient.State.SELECTING, dhcp.state());
        assertEquals(0, stack.linkStats().get(io.tapstack.link.LinkCounter.INTERNAL_ERROR));
    }

    @Test
    void honoursT1AndT2Options() throws Exception {
        DhcpConfig c = withoutProbing();
        server.leaseSeconds = 1000;
        server.t1 = 30;
        server.t2 = 40;
        start(c);
        until(() -> dhcp.state() == DhcpClient.State.BOUND, 20 * S);
        Lease l = dhcp.lease();
        assertEquals(10 * S, l.t2At() - l.t1At());
        assertEquals(970 * S, l.expiresAt() - l.t1At());
    }
}

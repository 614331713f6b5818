package io.tapstack.capture;

import static org.junit.jupiter.api.Assertions.*;

import io.tapstack.NetStack;
import io.tapstack.context.StackConfig;
import io.tapstack.wire.InterfaceAddress;
import io.tapstack.link.PairLink;
import io.tapstack.loop.VirtualClock;
import io.tapstack.wire.MacAddress;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Capture plugged into a real stack through the frame-tap SPI, on virtual time. */
class StackCaptureTest {
    static final int IP_A = 0x0a000001, IP_B = 0x0a000002;

    final VirtualClock clock = new VirtualClock();
    final PairLink[] wire = PairLink.create(1500);
    final NetStack a = new NetStack(wire[0], config(IP_A, 0x020000000001L), clock);
    final NetStack b = new NetStack(wire[1], config(IP_B, 0x020000000002L), clock);

    static StackConfig config(int ip, long mac) {
        StackConfig c = new StackConfig();
        c.mac = MacAddress.of(mac);
        c.ipv4.add(new InterfaceAddress(ip, 24));
        return c;
    }

    void settle() {
        for (int i = 0; i < 10_000; i++) {
            a.poll(clock.nanos());
            b.poll(clock.nanos());
            if (wire[0].pending() == 0 && wire[1].pending() == 0) return;
        }
        fail("wire did not settle");
    }

    @Test void sessionOnAStackSeesBothDirectionsStampedByTheLoopClock() throws Exception {
        a.icmp().sendEchoRequest(IP_B, 1, 1, new byte[0]); // resolve ARP first
        settle();
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        CaptureSession s = CaptureSession.start("icmp", 65535,
                new PcapngWriter(bos, "pair", 65535, TimestampResolution.NANOSECONDS, false), 64);
        b.addFrameTap(s);
        clock.advance(1234);
        a.icmp().sendEchoRequest(IP_B, 1, 2, new byte[16]);
        settle();
        b.removeFrameTap(s);
        a.icmp().sendEchoRequest(IP_B, 1, 3, new byte[16]); // after removal: not captured
        settle();
        s.close();
        List<CaptureRecord> recs = new CaptureFileReader(new ByteArrayInputStream(bos.toByteArray())).readAll();
        assertEquals(2, recs.size());
        assertEquals(Direction.INBOUND, recs.get(0).direction());   // the request B received
        assertEquals(Direction.OUTBOUND, recs.get(1).direction());  // the reply B sent
        for (CaptureRecord r : recs) {
            assertEquals(clock.wallNanos(), r.timestampNanos());
            assertEquals(14 + 20 + 8 + 16, r.wireLength());
        }
        assertEquals(8, recs.get(0).data()[14 + 20] & 0xff); // ICMP echo request
        assertEquals(0, recs.get(1).data()[14 + 20] & 0xff); // ICMP echo reply
        assertEquals(2, s.stats().written());
        assertEquals(0, s.stats().dropped());
    }

    @Test void captureTapIsAFrameTapToo() throws Exception {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        CaptureSession s = CaptureSession.start("arp", 65535,
                new PcapngWriter(bos, "pair", 65535, TimestampResolution.NANOSECONDS, false), 64);
        CaptureTap tap = new CaptureTap();
        tap.add(s);
        a.addFrameTap(tap);
        a.icmp().sendEchoRequest(IP_B, 1, 1, new byte[0]); // ARP request out, reply in, then the ping
        settle();
        a.removeFrameTap(tap);
        tap.remove(s);
        s.close();
        List<CaptureRecord> recs = new CaptureFileReader(new ByteArrayInputStream(bos.toByteArray())).readAll();
        assertTrue(recs.size() >= 2, recs.size() + " frames");
        for (CaptureRecord r : recs) assertEquals(0x0806, ((r.data()[12] & 0xff) << 8) | (r.data()[13] & 0xff));
        assertEquals(Direction.OUTBOUND, recs.get(0).direction());
        assertEquals(1, recs.get(0).data()[14 + 7]); // A's ARP request for B
        assertTrue(recs.stream().anyMatch(r -> r.direction() == Direction.INBOUND && r.data()[14 + 7] == 2),
                "B's ARP reply"); // ARP opcode 2
        assertEquals(recs.size(), s.stats().written());
    }
}

package io.tapstack;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import io.tapstack.buffer.PacketPool;
import io.tapstack.context.StackConfig;
import io.tapstack.link.LinkCounter;
import io.tapstack.link.PairLink;
import io.tapstack.loop.VirtualClock;
import io.tapstack.udp.UdpSocket;
import io.tapstack.wire.InterfaceAddress;
import io.tapstack.wire.Ipv6InterfaceAddress;
import io.tapstack.wire.MacAddress;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * For the reassembly fuzz targets: a UDP datagram (with a right checksum) cut into fragments
 * chosen by the fuzzer — any offsets and lengths, any order, duplicates, overlaps, wrong More
 * Fragments flags, fragments of other datagrams, and now and then a fragment whose content is
 * not the original's (one 16-bit word increased, so the UDP checksum always catches it).
 *
 * <p>The property: whatever the host's UDP socket receives is the original datagram; and when
 * the fragments were honest (true content and flags) and cover the datagram with no partial
 * overlap, it is received. Afterwards, once the reassembly timeout has passed, every packet
 * buffer is back in the pool and no internal error was counted.
 */
public final class FragmentPlan {
    public static final long MAC_A = 0x020000000001L;
    public static final long MAC_B = 0x020000000002L;
    public static final int IP_A = 0x0a000001;
    public static final int IP_B = 0x0a000002;
    public static final long G_HI = 0x2001_0db8_0000_0000L;
    public static final int PORT = 5000;
    private static final PacketPool POOL = new PacketPool(256, 1792, 4);
    private static final PacketPool SCRATCH = new PacketPool(16, 1792, 2);

    /** One fragment: byte range of the UDP datagram, the More Fragments flag, its content. */
    public record Fragment(int ident, int offset, boolean more, byte[] data, boolean honest) {
    }

    public final byte[] datagram; // the UDP datagram (header + data), checksum filled by the caller's builder
    public final byte[] payload;  // the data the socket must receive
    public final List<Fragment> fragments = new ArrayList<>();
    public final int ident;

    private FragmentPlan(byte[] datagram, byte[] payload, int ident) {
        this.datagram = datagram;
        this.payload = payload;
        this.ident = ident;
    }

    /** Builds the datagram (UDP to {@link #PORT}) and the fragments from the input. */
    public static FragmentPlan from(FuzzedDataProvider in, boolean v6) {
        byte[] data = in.consumeBytes(in.consumeInt(0, 3000));
        byte[] udp = v6 ? Frames.udp6(G_HI, 1, G_HI, 2, 40000, PORT, data, -1)
                : Frames.udp4(IP_A, IP_B, 40000, PORT, data, -1);
        FragmentPlan plan = new FragmentPlan(udp, data, in.consumeInt());
        int n = in.consumeInt(1, 16);
        int units = (udp.length + 7) / 8;
        for (int i = 0; i < n; i++) {
            int choice = in.consumeInt(0, 9);
            if (choice == 0 && !plan.fragments.isEmpty()) {
                // an exact duplicate of an earlier fragment
                plan.fragments.add(plan.fragments.get(in.consumeInt(0, plan.fragments.size() - 1)));
                continue;
            }
            int start = 8 * in.consumeInt(0, units);
            int len = choice == 1 ? in.consumeInt(0, udp.length) : 8 * in.consumeInt(1, Math.max(1, units));
            int end = Math.min(udp.length, start + len);
            if (choice == 2) {
                end = udp.length; // a last fragment
            }
            if (start >= end && udp.length > 0) {
                start = Math.max(0, end - 8 * in.consumeInt(1, 4));
                start -= start % 8;
            }
            byte[] d = Arrays.copyOfRange(udp, start, end);
            boolean more = end < udp.length;
            boolean honest = true;
            if (choice == 3) {
                more = !more; // a lying More Fragments flag
                honest = false;
            }
            if (choice == 4 && d.length >= 2) {
                // content that is not the original's: one 16-bit word increased (checksum +1 or +2, never 0 in sum)
                int w = 2 * in.consumeInt(0, d.length / 2 - 1);
                int v = ((d[w] & 0xff) << 8 | (d[w + 1] & 0xff));
                v = v == 0xffff ? 1 : v + 1;
                d[w] = (byte) (v >>> 8);
                d[w + 1] = (byte) v;
                honest = false;
            }
            int id = choice == 5 ? plan.ident + 1 : plan.ident; // a fragment of another datagram
            plan.fragments.add(new Fragment(id, start, more, d, honest && id == plan.ident));
        }
        return plan;
    }

    /** True if the honest fragments of our datagram alone reassemble it: all honest, covering, no partial overlap. */
    public boolean mustReassemble() {
        List<Fragment> ours = new ArrayList<>();
        for (Fragment f : fragments) {
            if (f.ident() != ident) {
                continue;
            }
            if (!f.honest() || f.data().length == 0) {
                return false;
            }
            if (f.more() && f.data().length % 8 != 0) {
                return false;
            }
            ours.add(f);
        }
        // coverage with exact duplicates only, and in order: the first time the set is complete
        boolean[] covered = new boolean[datagram.length];
        List<int[]> ranges = new ArrayList<>();
        int count = 0;
        for (Fragment f : ours) {
            int s = f.offset();
            int e = s + f.data().length;
            boolean dup = false;
            for (int[] r : ranges) {
                if (r[0] == s && r[1] == e) {
                    dup = true;
                } else if (s < r[1] && r[0] < e) {
                    return false; // a partial overlap: the host drops the datagram (RFC 5722 for v6, Linux for v4)
                }
            }
            if (dup) {
                continue;
            }
            ranges.add(new int[] {s, e});
            for (int i = s; i < e; i++) {
                if (!covered[i]) {
                    covered[i] = true;
                    count++;
                }
            }
            if (count == datagram.length) {
                return true;
            }
        }
        return false;
    }

    /** One host (B) with a UDP socket on {@link #PORT}; returns the datagrams it received. */
    public static final class Host {
        public final VirtualClock clock = new VirtualClock();
        public final PairLink[] wire = PairLink.create(1500);
        public final NetStack b;
        public final UdpSocket socket;

        public Host() {
            StackConfig c = new StackConfig();
            c.mac = MacAddress.of(MAC_B);
            c.ipv4.add(new InterfaceAddress(IP_B, 24));
            c.ipv6.add(Ipv6InterfaceAddress.parse("2001:db8::2/64"));
            c.seed = 1;
            c.ipv6StableSecret = new byte[32];
            c.dadTransmits = 0;
            c.reassemblyMaxDatagrams = 4;
            b = new NetStack(wire[1], c, clock, POOL);
            try {
                socket = b.udp().open().bind(null, PORT);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            b.poll(clock.nanos());
        }

        public List<byte[]> inject(byte[] frame) {
            wire[1].inject(frame);
            b.poll(clock.nanos());
            drain();
            return received();
        }

        List<byte[]> received() {
            List<byte[]> out = new ArrayList<>();
            ByteBuffer bb = ByteBuffer.allocate(70000);
            try {
                for (int n; (n = socket.receive(bb)) >= 0; bb.clear()) {
                    out.add(Arrays.copyOf(bb.array(), n));
                }
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            return out;
        }

        void drain() {
            io.tapstack.buffer.PacketBuf[] out = new io.tapstack.buffer.PacketBuf[16];
            for (int n; (n = wire[0].receive(SCRATCH, out, out.length)) > 0; ) {
                for (int i = 0; i < n; i++) {
                    out[i].release();
                }
            }
        }

        /** Lets every reassembly and neighbour timer run out, then checks that nothing is held. */
        public void finish() {
            socket.close();
            for (int t = 0; t < 130; t++) {
                clock.advance(1_000_000_000L);
                b.poll(clock.nanos());
                drain();
            }
            assertEquals(0, b.linkStats().get(LinkCounter.INTERNAL_ERROR), "an exception inside the stack");
            assertEquals(0, b.ipv4().reassembler().inProgress());
            assertEquals(0, b.ipv6().reassembler().inProgress());
            assertEquals(0, b.ipv4().reassembler().bytesHeld());
            assertEquals(0, b.ipv6().reassembler().bytesHeld());
            assertEquals(b.pool().totalSmall(), b.pool().availableSmall(), "small packet buffers leaked");
            assertEquals(b.pool().totalLarge(), b.pool().availableLarge(), "large packet buffers leaked");
        }
    }

    /** Checks the property over everything the socket received. */
    public void check(List<byte[]> received, boolean mustHave) {
        for (byte[] r : received) {
            assertArrayEquals(payload, r, "a reassembled datagram differs from the original");
        }
        if (mustHave) {
            assertTrue(!received.isEmpty(), "honest fragments covering the datagram were not reassembled");
        }
    }
}

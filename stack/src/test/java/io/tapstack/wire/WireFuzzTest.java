package io.tapstack.wire;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * Random bytes never make a view throw: not from {@code check()}, and after a passing check not
 * from any accessor (the smoltcp {@code new_checked} contract). Seeded, so a failure reproduces.
 */
class WireFuzzTest {
    private static final long SEED = 0x7a957ac4L;
    private final EthernetFrame eth = new EthernetFrame();
    private final ArpPacket arp = new ArpPacket();
    private final Ipv4Header ip = new Ipv4Header();
    private final Icmpv4 icmp = new Icmpv4();
    private long sink;

    /** Runs every view over {@code len} bytes at {@code off} of {@code b}, whose capacity is exactly off+len. */
    private void all(ByteBuffer b, int off, int len) {
        eth.wrap(b, off, len);
        if (eth.check()) {
            sink += eth.dst() + eth.src() + eth.etherType() + eth.vlanId() + eth.headerLength()
                    + eth.payloadOffset() + eth.payloadLength() + (eth.vlanTagged() ? 1 : 0);
            if (eth.payloadLength() < 0 || eth.payloadOffset() + eth.payloadLength() != off + len) {
                throw new AssertionError("ethernet payload outside the frame");
            }
        }
        arp.wrap(b, off, len);
        if (arp.check() == ArpPacket.Error.NONE) {
            sink += arp.operation() + arp.senderMac() + arp.senderIp() + arp.targetMac() + arp.targetIp();
        }
        for (boolean verify : new boolean[] {true, false}) {
            ip.wrap(b, off, len);
            if (ip.check(verify) == Ipv4Header.Error.NONE) {
                sink += ip.headerLength() + ip.tos() + ip.totalLength() + ip.ident() + ip.flagsFrag() + ip.fragmentOffset()
                        + ip.ttl() + ip.protocol() + ip.checksum() + ip.src() + ip.dst() + ip.payloadOffset()
                        + ip.payloadLength() + (ip.isFragment() ? 1 : 0) + (ip.moreFragments() ? 1 : 0)
                        + (ip.dontFragment() ? 1 : 0) + ip.offset();
                if (ip.payloadLength() < 0 || ip.payloadOffset() + ip.payloadLength() > off + len) {
                    throw new AssertionError("ipv4 payload outside the buffer");
                }
                // a valid IP header leads into ICMP: the view over its payload must hold too
                icmp.wrap(b, ip.payloadOffset(), ip.payloadLength());
                if (icmp.check(verify) == Icmpv4.Error.NONE) {
                    sink += icmp.type() + icmp.code() + icmp.id() + icmp.seq() + icmp.dataOffset() + icmp.dataLength() + icmp.length();
                }
            }
            icmp.wrap(b, off, len);
            if (icmp.check(verify) == Icmpv4.Error.NONE) {
                sink += icmp.type() + icmp.code() + icmp.id() + icmp.seq() + icmp.dataOffset() + icmp.dataLength();
            }
        }
    }

    private static ByteBuffer random(SplittableRandom r, int off, int len) {
        byte[] a = new byte[off + len];
        for (int i = 0; i < a.length; i++) {
            a[i] = (byte) r.nextInt(256);
        }
        return ByteBuffer.wrap(a);
    }

    @Test
    void randomBytesOfEveryLengthUpTo100() {
        SplittableRandom r = new SplittableRandom(SEED);
        for (int len = 0; len <= 100; len++) {
            for (int i = 0; i < 500; i++) {
                int off = r.nextInt(4);
                all(random(r, off, len), off, len);
            }
        }
    }

    @Test
    void someLargeRandomBuffers() {
        SplittableRandom r = new SplittableRandom(SEED + 1);
        for (int len : new int[] {1500, 1514, 9000, 65535, 65536 + 256}) {
            for (int i = 0; i < 20; i++) {
                all(random(r, 0, len), 0, len);
            }
        }
    }

    /**
     * Bytes that are nearly valid reach deeper: version 4 and small IHL, ARP with the right
     * constants, a VLAN TPID, lengths near the boundaries. The IPv4 checksum is fixed half the time.
     */
    @Test
    void nearlyValidHeadersWithRandomFields() {
        SplittableRandom r = new SplittableRandom(SEED + 2);
        for (int i = 0; i < 100_000; i++) {
            int len = r.nextInt(100);
            ByteBuffer b = random(r, 0, len);
            switch (r.nextInt(4)) {
                case 0 -> {
                    if (len > 0) {
                        b.put(0, (byte) (0x40 | r.nextInt(16)));
                    }
                    if (len > 3) {
                        b.putShort(2, (short) r.nextInt(len + 8));
                    }
                    if (len >= 20 && r.nextBoolean()) {
                        int hl = Math.min((b.get(0) & 0xf) * 4, len);
                        b.putShort(10, (short) 0);
                        b.putShort(10, (short) Checksum.compute(b, 0, hl));
                    }
                }
                case 1 -> {
                    if (len >= 6) {
                        b.putShort(0, (short) 1).putShort(2, (short) 0x0800).put(4, (byte) 6).put(5, (byte) 4);
                    }
                    if (len >= 8) {
                        b.putShort(6, (short) (1 + r.nextInt(3)));
                    }
                }
                case 2 -> {
                    if (len >= 14) {
                        b.putShort(12, (short) 0x8100);
                    }
                }
                default -> {
                }
            }
            all(b, 0, len);
        }
        if (sink == 42) {
            System.out.println(sink); // keep the JIT from dropping the accessor calls
        }
    }
}

package io.tapstack;

import io.tapstack.link.FrameTap;
import io.tapstack.wire.ArpPacket;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.Icmpv4;
import io.tapstack.wire.Ipv4Header;
import io.tapstack.wire.Ipv6Header;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** Test helpers: golden frames from resources, and builders for hand-made frames. */
public final class Frames {
    public static final long MAC_A = 0x020000000001L;
    public static final long MAC_B = 0x020000000002L;
    public static final long BROADCAST = 0xffff_ffff_ffffL;

    private Frames() {
    }

    /** Hex digits (whitespace ignored) to bytes. */
    public static byte[] hex(String s) {
        String t = s.replaceAll("\\s+", "");
        if (t.length() % 2 != 0) {
            throw new IllegalArgumentException("odd number of hex digits");
        }
        byte[] b = new byte[t.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(t.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }

    /**
     * A frame from {@code src/test/resources/golden/NAME.hex}: {@code tcpdump -xx} output, lines
     * starting with '#' are comments, the {@code 0x0000:} offsets are dropped.
     */
    public static byte[] golden(String name) {
        try (InputStream in = Frames.class.getResourceAsStream("/golden/" + name + ".hex")) {
            if (in == null) {
                throw new IllegalArgumentException("no golden frame " + name);
            }
            StringBuilder sb = new StringBuilder();
            for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int colon = line.indexOf(':');
                sb.append(colon >= 0 ? line.substring(colon + 1) : line);
            }
            return hex(sb.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] eth(long dst, long src, int type, byte[] payload) {
        byte[] f = new byte[EthernetFrame.HEADER_LEN + payload.length];
        ByteBuffer b = ByteBuffer.wrap(f);
        EthernetFrame.emit(b, 0, dst, src, type);
        System.arraycopy(payload, 0, f, EthernetFrame.HEADER_LEN, payload.length);
        return f;
    }

    /** A 20-byte-header IPv4 packet with a correct checksum. */
    public static byte[] ipv4(int src, int dst, int proto, int ttl, int ident, int flagsFrag, byte[] payload) {
        byte[] p = new byte[Ipv4Header.MIN_LENGTH + payload.length];
        Ipv4Header.emit(ByteBuffer.wrap(p), 0, 0, p.length, ident, flagsFrag, ttl, proto, src, dst);
        System.arraycopy(payload, 0, p, Ipv4Header.MIN_LENGTH, payload.length);
        return p;
    }

    /** An Ethernet frame carrying {@link #ipv4}. */
    public static byte[] ipv4Frame(long dstMac, long srcMac, int src, int dst, int proto, int ttl, int ident,
                                   int flagsFrag, byte[] payload) {
        return eth(dstMac, srcMac, EthernetFrame.TYPE_IPV4, ipv4(src, dst, proto, ttl, ident, flagsFrag, payload));
    }

    /** Recomputes the IPv4 header checksum of the header at {@code off} (after test edits). */
    public static void fixIpChecksum(byte[] frame, int off) {
        ByteBuffer b = ByteBuffer.wrap(frame);
        int hl = (frame[off] & 0x0f) * 4;
        b.putShort(off + Ipv4Header.CHECKSUM, (short) 0);
        b.putShort(off + Ipv4Header.CHECKSUM, (short) Checksum.compute(b, off, Math.min(hl, frame.length - off)));
    }

    /** An ICMP message with a correct checksum. */
    public static byte[] icmp(int type, int code, int rest, byte[] data) {
        byte[] m = new byte[Icmpv4.HEADER_LEN + data.length];
        ByteBuffer b = ByteBuffer.wrap(m);
        Icmpv4.emitHeader(b, 0, type, code, rest);
        System.arraycopy(data, 0, m, Icmpv4.HEADER_LEN, data.length);
        Icmpv4.fillChecksum(b, 0, m.length);
        return m;
    }

    public static byte[] echoRequest(int id, int seq, byte[] data) {
        return icmp(Icmpv4.ECHO_REQUEST, 0, (id << 16) | (seq & 0xffff), data);
    }

    /** A 28-byte Ethernet/IPv4 ARP packet. */
    public static byte[] arp(int op, long sha, int spa, long tha, int tpa) {
        byte[] a = new byte[ArpPacket.LENGTH];
        ArpPacket.emit(ByteBuffer.wrap(a), 0, op, sha, spa, tha, tpa);
        return a;
    }

    public static byte[] arpFrame(long ethDst, long ethSrc, int op, long sha, int spa, long tha, int tpa) {
        return eth(ethDst, ethSrc, EthernetFrame.TYPE_ARP, arp(op, sha, spa, tha, tpa));
    }

    public static byte[] pattern(int n, int seed) {
        byte[] d = new byte[n];
        for (int i = 0; i < n; i++) {
            d[i] = (byte) (i * 7 + seed);
        }
        return d;
    }

    public static ByteBuffer bb(byte[] b) {
        return ByteBuffer.wrap(b);
    }

    public static int etherType(byte[] f) {
        return ((f[12] & 0xff) << 8) | (f[13] & 0xff);
    }

    /** Records the frames a stack sends and receives, copied out of its buffers. */
    public static final class Recorder implements FrameTap {
        public final List<byte[]> out = new ArrayList<>();
        public final List<byte[]> in = new ArrayList<>();

        @Override
        public void frame(ByteBuffer buf, int off, int len, long wallNanos, boolean outbound) {
            byte[] f = new byte[len];
            buf.get(off, f, 0, len);
            (outbound ? out : in).add(f);
        }

        public List<byte[]> sent(Predicate<byte[]> p) {
            List<byte[]> l = new ArrayList<>();
            for (byte[] f : out) {
                if (p.test(f)) {
                    l.add(f);
                }
            }
            return l;
        }

        public List<byte[]> sentArp() {
            return sent(f -> etherType(f) == EthernetFrame.TYPE_ARP);
        }

        public List<byte[]> sentIpv4() {
            return sent(f -> etherType(f) == EthernetFrame.TYPE_IPV4);
        }

        /** Sent IPv4 frames carrying ICMP of the given type. */
        public List<byte[]> sentIcmp(int type) {
            return sent(f -> etherType(f) == EthernetFrame.TYPE_IPV4 && f[14 + 9] == 1
                    && ((f[14 + 6] & 0x1f) | f[14 + 7]) == 0
                    && (f[14 + (f[14] & 0x0f) * 4] & 0xff) == type);
        }

        public void clear() {
            out.clear();
            in.clear();
        }
    }

    // ---- builders used by the IPv6 and UDP tests ----

    public static byte[] ipv4(long dstMac, long srcMac, int src, int dst, int proto, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(14 + 20 + payload.length);
        EthernetFrame.emit(b, 0, dstMac, srcMac, EthernetFrame.TYPE_IPV4);
        Ipv4Header.emit(b, 14, 0, 20 + payload.length, 1, 0, 64, proto, src, dst);
        b.put(34, payload);
        return b.array();
    }

    public static byte[] ipv6(long dstMac, long srcMac, long srcHi, long srcLo, long dstHi, long dstLo,
                              int nextHeader, int hopLimit, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(14 + 40 + payload.length);
        EthernetFrame.emit(b, 0, dstMac, srcMac, EthernetFrame.TYPE_IPV6);
        Ipv6Header.emit(b, 14, 0, 0, payload.length, nextHeader, hopLimit, srcHi, srcLo, dstHi, dstLo);
        b.put(54, payload);
        return b.array();
    }

    /** A UDP datagram; {@code checksum} &lt; 0 computes it over the IPv4 pseudo-header. */
    public static byte[] udp4(int src, int dst, int sport, int dport, byte[] data, int checksum) {
        ByteBuffer u = ByteBuffer.allocate(8 + data.length);
        u.putShort(0, (short) sport).putShort(2, (short) dport).putShort(4, (short) (8 + data.length));
        u.put(8, data);
        if (checksum < 0) {
            int c = Checksum.finish(Checksum.add(Checksum.pseudoV4(src, dst, 17, 8 + data.length), u, 0, 8 + data.length));
            u.putShort(6, (short) (c == 0 ? 0xffff : c));
        } else {
            u.putShort(6, (short) checksum);
        }
        return u.array();
    }

    /** A UDP datagram over IPv6, checksum computed unless {@code checksum} ≥ 0. */
    public static byte[] udp6(long sHi, long sLo, long dHi, long dLo, int sport, int dport, byte[] data, int checksum) {
        ByteBuffer u = ByteBuffer.allocate(8 + data.length);
        u.putShort(0, (short) sport).putShort(2, (short) dport).putShort(4, (short) (8 + data.length));
        u.put(8, data);
        if (checksum < 0) {
            int c = Checksum.finish(Checksum.add(Checksum.pseudoV6(sHi, sLo, dHi, dLo, 17, 8 + data.length), u, 0, 8 + data.length));
            u.putShort(6, (short) (c == 0 ? 0xffff : c));
        } else {
            u.putShort(6, (short) checksum);
        }
        return u.array();
    }
}

package io.tapstack;

import io.tapstack.wire.Checksum;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.Ipv4Header;
import io.tapstack.wire.Ipv6Header;

import java.nio.ByteBuffer;

/** Test helper: builds raw Ethernet frames (IPv4/IPv6 with a given payload) for injection. */
public final class Frames {
    private Frames() {
    }

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

package io.tapstack.link;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.buffer.PacketPool;
import io.tapstack.wire.Checksum;

import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * Software segmentation offload (GSO) and checksum completion, for links that cannot do them:
 * TCP hands down one large segment with {@code gsoType}/{@code gsoSize} and a partial checksum,
 * and this splits it into MSS-sized IP packets exactly as a NIC's TSO would (Linux
 * {@code tcp_gso_segment}/{@code inet_gso_segment} semantics): headers copied, IPv4 total
 * length / IPv6 payload length fixed, IPv4 IDs incremented, TCP sequence numbers advanced,
 * FIN and PSH only on the last segment, CWR only on the first (RFC 3168 §6.1.2).
 *
 * <p>Checksum convention (virtio-net's): while {@link PacketBuf#csumState} is
 * {@link PacketBuf#CSUM_PARTIAL}, the checksum field at {@code csumStart + csumOffset}
 * (absolute offsets in the buffer) holds the folded pseudo-header sum, not complemented; the
 * checksum is finished by summing from {@code csumStart} to the end of the packet.
 */
public final class Gso {
    private static final int TCP_SEQ = 4;
    private static final int TCP_OFF = 12;
    private static final int TCP_FLAGS = 13;
    private static final int TCP_CSUM = 16;
    private static final int FIN = 0x01;
    private static final int PSH = 0x08;
    private static final int CWR = 0x80;

    private Gso() {
    }

    /** Finishes a partial checksum in software (RFC 1071 over the L4 part, pseudo sum already in the field). */
    public static void finishChecksum(PacketBuf p) {
        if (p.csumState != PacketBuf.CSUM_PARTIAL) {
            return;
        }
        ByteBuffer b = p.buf();
        int start = p.csumStart;
        int field = start + p.csumOffset;
        int c = Checksum.finish(Checksum.add(0, b, start, p.end() - start));
        // UDP transmits a computed 0 as 0xffff (RFC 768); for TCP 0 and 0xffff are equivalent.
        if (c == 0 && p.csumOffset == 6) {
            c = 0xffff;
        }
        b.putShort(field, (short) c);
        p.csumState = PacketBuf.CSUM_NONE;
    }

    /**
     * Splits a GSO packet (window: the IP header onward) into segments of at most
     * {@code gsoSize} payload bytes, each handed to {@code out} with a partial checksum.
     * Releases {@code p}. Returns the number of segments, or -1 if a buffer ran out (the rest
     * is dropped) or the packet is not a TCP GSO packet.
     */
    public static int segment(PacketBuf p, PacketPool pool, Consumer<PacketBuf> out) {
        try {
            ByteBuffer b = p.buf();
            int l3 = p.start();
            int ver = (b.get(l3) >>> 4) & 0xf;
            boolean v4 = ver == 4;
            int ipHl = v4 ? (b.get(l3) & 0xf) * 4 : 40;
            int l4 = l3 + ipHl;
            if (p.gsoSize <= 0 || (p.gsoType != VnetHeader.GSO_TCPV4 && p.gsoType != VnetHeader.GSO_TCPV6)
                    || p.length() < ipHl + 20) {
                return -1;
            }
            int tcpHl = ((b.get(l4 + TCP_OFF) >>> 4) & 0xf) * 4;
            int hdr = ipHl + tcpHl;
            int payload = p.length() - hdr;
            int mss = p.gsoSize;
            int seq = b.getInt(l4 + TCP_SEQ);
            int flags = b.get(l4 + TCP_FLAGS) & 0xff;
            int id = v4 ? b.getShort(l3 + 4) & 0xffff : 0;
            int count = 0;
            for (int off = 0; off < payload || (payload == 0 && off == 0); off += mss) {
                int n = Math.min(mss, payload - off);
                PacketBuf s = pool.allocate(hdr + n);
                if (s == null) {
                    return -1;
                }
                int at = s.append(hdr + n);
                ByteBuffer sb = s.buf();
                sb.put(at, b, l3, hdr);
                sb.put(at + hdr, b, l3 + hdr + off, n);
                boolean first = off == 0;
                boolean last = off + mss >= payload;
                int f = flags;
                if (!last) {
                    f &= ~(FIN | PSH);
                }
                if (!first) {
                    f &= ~CWR;
                }
                int sl4 = at + ipHl;
                sb.put(sl4 + TCP_FLAGS, (byte) f);
                sb.putInt(sl4 + TCP_SEQ, seq + off);
                int tcpLen = tcpHl + n;
                long pseudo;
                if (v4) {
                    sb.putShort(at + 2, (short) (hdr + n));
                    sb.putShort(at + 4, (short) (id + count));
                    sb.putShort(at + 10, (short) 0);
                    sb.putShort(at + 10, (short) Checksum.compute(sb, at, ipHl));
                    pseudo = Checksum.pseudoV4(sb.getInt(at + 12), sb.getInt(at + 16), 6, tcpLen);
                } else {
                    sb.putShort(at + 4, (short) tcpLen);
                    pseudo = Checksum.pseudoV6(sb.getLong(at + 8), sb.getLong(at + 16), sb.getLong(at + 24),
                            sb.getLong(at + 32), 6, tcpLen);
                }
                sb.putShort(sl4 + TCP_CSUM, (short) Checksum.fold(pseudo));
                s.l3 = at;
                s.l4 = sl4;
                s.csumState = PacketBuf.CSUM_PARTIAL;
                s.csumStart = sl4;
                s.csumOffset = TCP_CSUM;
                count++;
                out.accept(s);
                if (payload == 0) {
                    break;
                }
            }
            return count;
        } finally {
            p.release();
        }
    }
}

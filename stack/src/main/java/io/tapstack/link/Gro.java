package io.tapstack.link;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.buffer.PacketPool;
import io.tapstack.wire.Checksum;

import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * Software receive coalescing (GRO) within one receive burst, for links that do not hand us
 * large segments: consecutive in-order TCP segments of one flow, over IPv4 or IPv6, become one
 * large segment before TCP sees them, as Linux's {@code tcp_gro_receive} does. Segments merge
 * only when they carry data, have no flags but ACK (PSH merges and then flushes), the same ACK
 * number, window and identical TCP options, valid checksums, every earlier segment had the same
 * (full) size, and the same network header fields: for IPv4 TOS and TTL, no options, no
 * fragmentation; for IPv6 version, traffic class, flow label and hop limit, TCP as the Next
 * Header (no extension headers), and a merged payload length within the 16-bit field (RFC 8200
 * §3: no jumbograms). Anything else flushes the flow first, so a flow's packets stay in order.
 * {@link #flush()} ends the burst.
 *
 * <p>Frames are offered with their window at the Ethernet header.
 */
public final class Gro {
    private static final int MAX_FLOWS = 8;
    private static final int MAX_LEN = 65535;
    private static final int ETH = 14;
    private static final int V4_HL = 20;
    private static final int V6_HL = 40;

    private static final class Flow {
        PacketBuf head;
        /** 20 for IPv4, 40 for IPv6: where the TCP header starts after the Ethernet header. */
        int l3Len;
        /** Addresses as two longs each (IPv4: 0 and the address); the family is in {@link #l3Len}. */
        long srcHi;
        long srcLo;
        long dstHi;
        long dstLo;
        int ports;
        int nextSeq;
        int ack;
        int window;
        /** IPv4: TOS and TTL; IPv6: version, traffic class, flow label and hop limit. */
        long l3Key;
        int tcpHl;
        int segLen;
        int lastLen;
        int count;
        long age;
    }

    private final PacketPool pool;
    private final Consumer<PacketBuf> sink;
    private final Flow[] flows = new Flow[MAX_FLOWS];
    private long clock;
    private long merged;
    private long flushedPackets;

    public Gro(PacketPool pool, Consumer<PacketBuf> sink) {
        this.pool = pool;
        this.sink = sink;
        for (int i = 0; i < MAX_FLOWS; i++) {
            flows[i] = new Flow();
        }
    }

    /** Segments merged into another so far. */
    public long merged() {
        return merged;
    }

    /** Coalesced packets handed on. */
    public long flushed() {
        return flushedPackets;
    }

    /**
     * Offers a received frame. Returns true if GRO took it (held or merged); false if the
     * caller must process it now (after any held packets of its flow were flushed).
     */
    public boolean offer(PacketBuf p, long ourMac) {
        ByteBuffer b = p.buf();
        int e = p.start();
        int len = p.length();
        if (len < ETH + 40) {
            return false;
        }
        int type = b.getShort(e + 12) & 0xffff;
        if (type != 0x0800 && type != 0x86dd || readMac(b, e) != ourMac) {
            return false;
        }
        int l3 = e + ETH;
        boolean v6 = type == 0x86dd;
        int l3Len;
        int total;
        long srcHi;
        long srcLo;
        long dstHi;
        long dstLo;
        long l3Key;
        boolean plainTcp;
        if (v6) {
            // RFC 8200 §3: version 6, Next Header TCP (no extension header), payload within the frame
            l3Len = V6_HL;
            total = V6_HL + (b.getShort(l3 + 4) & 0xffff);
            if ((b.get(l3) & 0xf0) != 0x60 || total > len - ETH) {
                return false;
            }
            srcHi = b.getLong(l3 + 8);
            srcLo = b.getLong(l3 + 16);
            dstHi = b.getLong(l3 + 24);
            dstLo = b.getLong(l3 + 32);
            l3Key = ((long) b.getInt(l3) << 8) | (b.get(l3 + 7) & 0xff);
            plainTcp = b.get(l3 + 6) == 6 && total >= V6_HL + 20;
        } else {
            l3Len = V4_HL;
            total = b.getShort(l3 + 2) & 0xffff;
            if ((b.get(l3) & 0xf0) != 0x40 || total > len - ETH) {
                return false;
            }
            srcHi = 0;
            srcLo = b.getInt(l3 + 12) & 0xffff_ffffL;
            dstHi = 0;
            dstLo = b.getInt(l3 + 16) & 0xffff_ffffL;
            l3Key = ((b.get(l3 + 1) & 0xff) << 8) | (b.get(l3 + 8) & 0xff);
            plainTcp = (b.get(l3) & 0xff) == 0x45 && b.get(l3 + 9) == 6 && total >= V4_HL + 20;
        }
        if (!plainTcp) {
            // IP options, extension headers, another protocol: may belong to a held flow (its
            // ports are not where we look), so what is held between these addresses goes first
            flushBetween(l3Len, srcHi, srcLo, dstHi, dstLo);
            return false;
        }
        int l4 = l3 + l3Len;
        int ports = b.getInt(l4);
        Flow f = find(l3Len, srcHi, srcLo, dstHi, dstLo, ports);
        int tcpHl = ((b.get(l4 + 12) >>> 4) & 0xf) * 4;
        int flags = b.get(l4 + 13) & 0xff;
        int payload = total - l3Len - tcpHl;
        boolean eligible = (v6 || (b.getShort(l3 + 6) & 0x3fff) == 0 && Checksum.compute(b, l3, V4_HL) == 0)
                && tcpHl >= 20 && payload > 0
                && (flags == 0x10 || flags == 0x18)
                && checksumOk(p, b, l4, v6, srcHi, srcLo, dstHi, dstLo, total - l3Len);
        if (!eligible) {
            if (f != null) {
                flush(f);
            }
            return false;
        }
        p.trim(ETH + total);
        int seq = b.getInt(l4 + 4);
        int ack = b.getInt(l4 + 8);
        int window = b.getShort(l4 + 14) & 0xffff;
        if (f != null) {
            if (canMerge(f, b, l4, seq, ack, window, l3Key, tcpHl, payload) && ensureLarge(f)) {
                PacketBuf h = f.head;
                int at = h.append(payload);
                h.buf().put(at, b, l4 + tcpHl, payload);
                f.nextSeq = seq + payload;
                f.lastLen = payload;
                f.count++;
                merged++;
                p.release();
                if ((flags & 0x08) != 0) {
                    int hl4 = h.start() + ETH + f.l3Len;
                    h.buf().put(hl4 + 13, (byte) (h.buf().get(hl4 + 13) | 0x08));
                    flush(f);
                }
                return true;
            }
            flush(f);
        }
        if ((flags & 0x08) != 0) {
            return false;
        }
        f = freeFlow();
        f.head = p;
        f.l3Len = l3Len;
        f.srcHi = srcHi;
        f.srcLo = srcLo;
        f.dstHi = dstHi;
        f.dstLo = dstLo;
        f.ports = ports;
        f.nextSeq = seq + payload;
        f.ack = ack;
        f.window = window;
        f.l3Key = l3Key;
        f.tcpHl = tcpHl;
        f.segLen = payload;
        f.lastLen = payload;
        f.count = 1;
        f.age = clock++;
        return true;
    }

    private static long readMac(ByteBuffer b, int off) {
        return ((long) (b.getShort(off) & 0xffff) << 32) | (b.getInt(off + 2) & 0xffff_ffffL);
    }

    private static boolean checksumOk(PacketBuf p, ByteBuffer b, int l4, boolean v6, long srcHi, long srcLo,
                                      long dstHi, long dstLo, int tcpLen) {
        if (p.csumState == PacketBuf.CSUM_VALID || p.csumState == PacketBuf.CSUM_PARTIAL) {
            return true;
        }
        long s = v6 ? Checksum.pseudoV6(srcHi, srcLo, dstHi, dstLo, 6, tcpLen)
                : Checksum.pseudoV4((int) srcLo, (int) dstLo, 6, tcpLen);
        return Checksum.finish(Checksum.add(s, b, l4, tcpLen)) == 0;
    }

    private boolean canMerge(Flow f, ByteBuffer b, int l4, int seq, int ack, int window, long l3Key, int tcpHl, int payload) {
        if (seq != f.nextSeq || ack != f.ack || window != f.window || l3Key != f.l3Key || tcpHl != f.tcpHl
                || payload > f.segLen || f.lastLen != f.segLen) {
            return false;
        }
        // IPv4 total length, IPv6 payload length (RFC 8200 §3): both 16 bits; the whole packet
        // stays within 65535 bytes, the size of a large buffer
        if (f.head.length() + payload > MAX_LEN + ETH) {
            return false;
        }
        // TCP options (e.g. timestamps) must be byte-identical
        ByteBuffer hb = f.head.buf();
        int hl4 = f.head.start() + ETH + f.l3Len;
        for (int i = 20; i < tcpHl; i++) {
            if (hb.get(hl4 + i) != b.get(l4 + i)) {
                return false;
            }
        }
        return true;
    }

    /** Moves a flow's head into a large buffer before the first merge. */
    private boolean ensureLarge(Flow f) {
        PacketBuf h = f.head;
        if (h.tailroom() >= MAX_LEN + ETH - h.length()) {
            return true;
        }
        PacketBuf big = pool.allocate(MAX_LEN + ETH);
        if (big == null || big.tailroom() < MAX_LEN + ETH) {
            if (big != null) {
                big.release();
            }
            return false;
        }
        int at = big.append(h.length());
        big.buf().put(at, h.buf(), h.start(), h.length());
        big.csumState = h.csumState;
        h.release();
        f.head = big;
        return true;
    }

    private Flow find(int l3Len, long srcHi, long srcLo, long dstHi, long dstLo, int ports) {
        for (Flow f : flows) {
            if (f.head != null && f.ports == ports && f.srcLo == srcLo && f.dstLo == dstLo && f.srcHi == srcHi
                    && f.dstHi == dstHi && f.l3Len == l3Len) {
                return f;
            }
        }
        return null;
    }

    private void flushBetween(int l3Len, long srcHi, long srcLo, long dstHi, long dstLo) {
        for (Flow f : flows) {
            if (f.head != null && f.srcLo == srcLo && f.dstLo == dstLo && f.srcHi == srcHi && f.dstHi == dstHi
                    && f.l3Len == l3Len) {
                flush(f);
            }
        }
    }

    private Flow freeFlow() {
        Flow oldest = null;
        for (Flow f : flows) {
            if (f.head == null) {
                return f;
            }
            if (oldest == null || f.age < oldest.age) {
                oldest = f;
            }
        }
        flush(oldest);
        return oldest;
    }

    private void flush(Flow f) {
        PacketBuf h = f.head;
        f.head = null;
        // every held segment's checksum was verified (or vouched for by the device)
        h.csumState = PacketBuf.CSUM_VALID;
        if (f.count > 1) {
            ByteBuffer b = h.buf();
            int l3 = h.start() + ETH;
            if (f.l3Len == V6_HL) {
                b.putShort(l3 + 4, (short) (h.length() - ETH - V6_HL));
                h.gsoType = VnetHeader.GSO_TCPV6;
            } else {
                b.putShort(l3 + 2, (short) (h.length() - ETH));
                b.putShort(l3 + 10, (short) 0);
                b.putShort(l3 + 10, (short) Checksum.compute(b, l3, V4_HL));
                h.gsoType = VnetHeader.GSO_TCPV4;
            }
            // the TCP checksum field is now stale; csumState says it need not be checked
            h.gsoSize = f.segLen;
        }
        flushedPackets++;
        sink.accept(h);
    }

    /** Hands on every held packet (end of a receive burst). */
    public void flush() {
        for (Flow f : flows) {
            if (f.head != null) {
                flush(f);
            }
        }
    }
}

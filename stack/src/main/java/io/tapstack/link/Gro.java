package io.tapstack.link;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.buffer.PacketPool;
import io.tapstack.wire.Checksum;

import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * Software receive coalescing (GRO) within one receive burst, for links that do not hand us
 * large segments: consecutive in-order TCP/IPv4 segments of one flow become one large segment
 * before TCP sees them, as Linux's {@code tcp_gro_receive} does. Segments merge only when they
 * carry data, have no flags but ACK (PSH merges and then flushes), the same ACK number, window,
 * TOS, TTL and identical TCP options, no IP options or fragmentation, valid checksums, and
 * every earlier segment had the same (full) size. Anything else flushes the flow first, so a
 * flow's packets stay in order. {@link #flush()} ends the burst.
 *
 * <p>Frames are offered with their window at the Ethernet header.
 */
public final class Gro {
    private static final int MAX_FLOWS = 8;
    private static final int MAX_LEN = 65535;
    private static final int ETH = 14;

    private static final class Flow {
        PacketBuf head;
        int src;
        int dst;
        int ports;
        int nextSeq;
        int ack;
        int window;
        int tosTtl;
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
        if (len < ETH + 40 || (b.getShort(e + 12) & 0xffff) != 0x0800) {
            return false;
        }
        if (readMac(b, e) != ourMac) {
            return false;
        }
        int l3 = e + ETH;
        int vi = b.get(l3) & 0xff;
        int total = b.getShort(l3 + 2) & 0xffff;
        if (vi != 0x45 || b.get(l3 + 9) != 6 || total > len - ETH || total < 40) {
            return false;
        }
        int l4 = l3 + 20;
        int src = b.getInt(l3 + 12);
        int dst = b.getInt(l3 + 16);
        int ports = b.getInt(l4);
        Flow f = find(src, dst, ports);
        int tcpHl = ((b.get(l4 + 12) >>> 4) & 0xf) * 4;
        int flags = b.get(l4 + 13) & 0xff;
        int payload = total - 20 - tcpHl;
        boolean eligible = (b.getShort(l3 + 6) & 0x3fff) == 0
                && tcpHl >= 20 && payload > 0
                && (flags == 0x10 || flags == 0x18)
                && Checksum.compute(b, l3, 20) == 0
                && checksumOk(p, b, l3, l4, src, dst, total - 20);
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
        int tosTtl = ((b.get(l3 + 1) & 0xff) << 8) | (b.get(l3 + 8) & 0xff);
        if (f != null) {
            if (canMerge(f, b, l4, seq, ack, window, tosTtl, tcpHl, payload) && ensureLarge(f)) {
                PacketBuf h = f.head;
                int at = h.append(payload);
                h.buf().put(at, b, l4 + tcpHl, payload);
                f.nextSeq = seq + payload;
                f.lastLen = payload;
                f.count++;
                merged++;
                p.release();
                if ((flags & 0x08) != 0) {
                    int hl4 = h.start() + ETH + 20;
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
        f.src = src;
        f.dst = dst;
        f.ports = ports;
        f.nextSeq = seq + payload;
        f.ack = ack;
        f.window = window;
        f.tosTtl = tosTtl;
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

    private static boolean checksumOk(PacketBuf p, ByteBuffer b, int l3, int l4, int src, int dst, int tcpLen) {
        if (p.csumState == PacketBuf.CSUM_VALID || p.csumState == PacketBuf.CSUM_PARTIAL) {
            return true;
        }
        long s = Checksum.pseudoV4(src, dst, 6, tcpLen);
        return Checksum.finish(Checksum.add(s, b, l4, tcpLen)) == 0;
    }

    private boolean canMerge(Flow f, ByteBuffer b, int l4, int seq, int ack, int window, int tosTtl, int tcpHl, int payload) {
        if (seq != f.nextSeq || ack != f.ack || window != f.window || tosTtl != f.tosTtl || tcpHl != f.tcpHl
                || payload > f.segLen || f.lastLen != f.segLen) {
            return false;
        }
        if (f.head.length() + payload > MAX_LEN + ETH) {
            return false;
        }
        // TCP options (e.g. timestamps) must be byte-identical
        ByteBuffer hb = f.head.buf();
        int hl4 = f.head.start() + ETH + 20;
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

    private Flow find(int src, int dst, int ports) {
        for (Flow f : flows) {
            if (f.head != null && f.src == src && f.dst == dst && f.ports == ports) {
                return f;
            }
        }
        return null;
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
            b.putShort(l3 + 2, (short) (h.length() - ETH));
            b.putShort(l3 + 10, (short) 0);
            b.putShort(l3 + 10, (short) Checksum.compute(b, l3, 20));
            // the TCP checksum field is now stale; csumState says it need not be checked
            h.gsoType = VnetHeader.GSO_TCPV4;
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

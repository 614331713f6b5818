package io.tapstack.tcp;

import io.tapstack.NetStack;
import io.tapstack.TwoHosts;
import io.tapstack.buffer.PacketBuf;
import io.tapstack.buffer.PacketPool;
import io.tapstack.link.PairLink;
import io.tapstack.loop.VirtualClock;
import io.tapstack.wire.ArpPacket;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.Ipv4Header;
import io.tapstack.wire.TcpHeader;
import io.tapstack.wire.TcpOptions;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Scripted "inject segment / expect segment" harness: one stack (A, 10.0.0.1) under test; the
 * test plays the peer (10.0.0.2) by building raw frames with the wire views and reading what A
 * transmits. ARP requests from A are answered automatically.
 */
final class TcpScript {
    static final int PEER = TwoHosts.IP_B;
    static final int SELF = TwoHosts.IP_A;
    static final long PEER_MAC = 0x020000000002L;
    static final long SELF_MAC = 0x020000000001L;
    static final long MS = 1_000_000L;

    /** A segment that A transmitted, parsed. */
    record Seg(long time, int sport, int dport, int seq, int ack, int flags, int window, TcpOptions opts, byte[] data,
               int tos) {
        /** The ECN field of its IP header (RFC 3168 §5). */
        int ecn() {
            return tos & 3;
        }

        boolean has(int f) {
            return (flags & f) != 0;
        }

        @Override
        public String toString() {
            return String.format("[%s seq=%d ack=%d win=%d len=%d%s%s]", TcpHeader.flagString(flags),
                    seq & 0xffffffffL, ack & 0xffffffffL, window, data.length,
                    opts.hasTimestamp ? " ts=" + opts.tsVal + "/" + opts.tsEcr : "",
                    opts.sackCount > 0 ? " sack=" + opts.sackCount : "");
        }
    }

    final VirtualClock clock = new VirtualClock();
    final PairLink wireA;
    final PairLink wireB;
    final NetStack a;
    final Tcp tcp;
    private final PacketPool pool;
    private final PacketBuf[] rx = new PacketBuf[64];
    final ArrayDeque<Seg> out = new ArrayDeque<>();

    TcpScript() {
        this(new TcpConfig());
    }

    TcpScript(TcpConfig cfg) {
        this(cfg, null, new PacketPool(512, 2048, 4));
    }

    /** With given pools (the stack's, or null for its own, and the peer side's), to reuse them across runs. */
    TcpScript(TcpConfig cfg, PacketPool stackPool, PacketPool peerPool) {
        PairLink[] w = PairLink.create(1500);
        wireA = w[0];
        wireB = w[1];
        pool = peerPool;
        a = stackPool == null ? new NetStack(wireA, TwoHosts.config(SELF, SELF_MAC), cfg, clock)
                : new NetStack(wireA, TwoHosts.config(SELF, SELF_MAC), cfg, clock, stackPool);
        tcp = a.tcp();
        wireB.attach(pool);
        poll();
    }

    /** One pass of A, then collect what it sent. */
    void poll() {
        for (int round = 0; round < 100; round++) {
            a.poll(clock.nanos());
            int n = wireB.receive(pool, rx, rx.length);
            if (n == 0 && wireA.pending() == 0) {
                return;
            }
            for (int i = 0; i < n; i++) {
                handle(rx[i]);
                rx[i].release();
                rx[i] = null;
            }
        }
    }

    private void handle(PacketBuf p) {
        ByteBuffer b = p.buf();
        int off = p.start();
        int type = b.getShort(off + EthernetFrame.TYPE) & 0xffff;
        if (type == EthernetFrame.TYPE_ARP) {
            int op = b.getShort(off + 14 + ArpPacket.OPER) & 0xffff;
            int tpa = b.getInt(off + 14 + ArpPacket.TPA);
            if (op == ArpPacket.OP_REQUEST && tpa == PEER) {
                byte[] f = new byte[14 + ArpPacket.LENGTH];
                ByteBuffer r = ByteBuffer.wrap(f);
                EthernetFrame.emit(r, 0, SELF_MAC, PEER_MAC, EthernetFrame.TYPE_ARP);
                ArpPacket.emit(r, 14, ArpPacket.OP_REPLY, PEER_MAC, PEER, SELF_MAC, SELF);
                wireA.inject(f);
            }
            return;
        }
        if (type != EthernetFrame.TYPE_IPV4) {
            return;
        }
        int ip = off + 14;
        int ihl = (b.get(ip) & 0x0f) * 4;
        if ((b.get(ip + 9) & 0xff) != 6) {
            return;
        }
        int total = b.getShort(ip + 2) & 0xffff;
        int t = ip + ihl;
        int tlen = total - ihl;
        // the stack's checksum must be right
        long sum = Checksum.pseudoV4(b.getInt(ip + 12), b.getInt(ip + 16), 6, tlen);
        assertEquals(0, Checksum.finish(Checksum.add(sum, b, t, tlen)), "checksum of a transmitted segment");
        TcpHeader h = new TcpHeader().wrap(b, t, tlen);
        assertEquals(TcpHeader.Error.NONE, h.check());
        TcpOptions o = new TcpOptions();
        assertTrue(o.parse(b, h.optionsOffset(), h.optionsLength()));
        byte[] data = new byte[h.payloadLength()];
        b.get(h.payloadOffset(), data);
        out.add(new Seg(clock.nanos(), h.srcPort(), h.dstPort(), h.seq(), h.ack(), h.flags(), h.window(), o, data,
                b.get(ip + 1) & 0xff));
    }

    /** Advances virtual time by {@code ms} in 1 ms steps, polling. */
    void advance(long ms) {
        for (long i = 0; i < ms; i++) {
            clock.advance(MS);
            poll();
        }
    }

    /** The next transmitted segment (polling up to {@code maxMs} of virtual time), or a failure. */
    Seg expect(long maxMs) {
        poll();
        for (long i = 0; out.isEmpty() && i < maxMs; i++) {
            clock.advance(MS);
            poll();
        }
        if (out.isEmpty()) {
            fail("no segment within " + maxMs + " ms");
        }
        return out.poll();
    }

    Seg expect() {
        return expect(0);
    }

    /** Asserts that nothing is transmitted during {@code ms}. */
    void expectNothing(long ms) {
        poll();
        for (long i = 0; out.isEmpty() && i < ms; i++) {
            clock.advance(MS);
            poll();
        }
        if (!out.isEmpty()) {
            fail("unexpected segment " + out.peek());
        }
    }

    /** Builds options bytes: pass pieces from the helpers below. */
    static byte[] opts(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            o.writeBytes(p);
        }
        while (o.size() % 4 != 0) {
            o.write(0);
        }
        return o.toByteArray();
    }

    static byte[] mss(int v) {
        return new byte[] {2, 4, (byte) (v >> 8), (byte) v};
    }

    static byte[] wscale(int s) {
        return new byte[] {1, 3, 3, (byte) s};
    }

    static byte[] sackPerm() {
        return new byte[] {1, 1, 4, 2};
    }

    static byte[] ts(int val, int ecr) {
        ByteBuffer b = ByteBuffer.allocate(12);
        b.put((byte) 1).put((byte) 1).put((byte) 8).put((byte) 10).putInt(val).putInt(ecr);
        return b.array();
    }

    static byte[] sack(int... edges) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * edges.length);
        b.put((byte) 1).put((byte) 1).put((byte) 5).put((byte) (2 + 4 * edges.length));
        for (int e : edges) {
            b.putInt(e);
        }
        return b.array();
    }

    /** Injects a segment from the peer (raw options bytes, already padded). */
    void send(int sport, int dport, int seq, int ack, int flags, int window, byte[] options, byte[] data) {
        byte[] f = frame(sport, dport, seq, ack, flags, window, options, data);
        wireA.inject(f);
        poll();
    }

    void send(int sport, int dport, int seq, int ack, int flags, int window, byte[] data) {
        send(sport, dport, seq, ack, flags, window, new byte[0], data);
    }

    /**
     * Injects a segment from the peer with an IPv4 TOS octet (its low bits the RFC 3168 ECN
     * field) and an urgent pointer.
     */
    void sendTos(int tos, int urgent, int sport, int dport, int seq, int ack, int flags, int window, byte[] options,
            byte[] data) {
        wireA.inject(frame(tos, urgent, sport, dport, seq, ack, flags, window, options, data));
        poll();
    }

    static byte[] frame(int sport, int dport, int seq, int ack, int flags, int window, byte[] options, byte[] data) {
        return frame(0, 0, sport, dport, seq, ack, flags, window, options, data);
    }

    static byte[] frame(int tos, int urgent, int sport, int dport, int seq, int ack, int flags, int window,
            byte[] options, byte[] data) {
        int thl = 20 + options.length;
        int tlen = thl + data.length;
        byte[] f = new byte[14 + 20 + tlen];
        ByteBuffer b = ByteBuffer.wrap(f);
        EthernetFrame.emit(b, 0, SELF_MAC, PEER_MAC, EthernetFrame.TYPE_IPV4);
        Ipv4Header.emit(b, 14, tos, 20 + tlen, 1, Ipv4Header.FLAG_DF, 64, 6, PEER, SELF);
        int t = 34;
        TcpHeader.emit(b, t, sport, dport, seq, ack, thl, flags, window);
        b.putShort(t + TcpHeader.URGENT, (short) urgent);
        b.put(t + 20, options);
        b.put(t + thl, data);
        long sum = Checksum.pseudoV4(PEER, SELF, 6, tlen);
        b.putShort(t + TcpHeader.CHECKSUM, (short) Checksum.finish(Checksum.add(sum, b, t, tlen)));
        return f;
    }

    static final int S = TcpHeader.SYN;
    static final int A = TcpHeader.ACK_FLAG;
    static final int F = TcpHeader.FIN;
    static final int R = TcpHeader.RST;
    static final int P = TcpHeader.PSH;

    static IpAddr peer() {
        return IpAddr.ofV4(PEER);
    }

    static byte[] bytes(int n, int seed) {
        byte[] d = new byte[n];
        for (int i = 0; i < n; i++) {
            d[i] = (byte) (seed + i * 31);
        }
        return d;
    }

    static String dump(Iterable<Seg> segs) {
        StringBuilder sb = new StringBuilder();
        for (Seg s : segs) {
            sb.append(s).append('\n');
        }
        return sb.toString();
    }

    static boolean same(byte[] x, byte[] y) {
        return Arrays.equals(x, y);
    }
}

package io.tapstack;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tapstack.buffer.PacketPool;
import io.tapstack.context.StackConfig;
import io.tapstack.ip.Ipv4Counter;
import io.tapstack.link.LinkCounter;
import io.tapstack.link.PairLink;
import io.tapstack.loop.VirtualClock;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpListener;
import io.tapstack.udp.UdpSocket;
import io.tapstack.wire.ArpPacket;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.Icmpv4;
import io.tapstack.wire.Icmpv6;
import io.tapstack.wire.InterfaceAddress;
import io.tapstack.wire.Ipv4Header;
import io.tapstack.wire.Ipv6FragmentHeader;
import io.tapstack.wire.Ipv6Header;
import io.tapstack.wire.Ipv6InterfaceAddress;
import io.tapstack.wire.MacAddress;
import io.tapstack.wire.NdpOptions;
import io.tapstack.wire.TcpHeader;
import io.tapstack.wire.TcpOptions;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole receive path of one {@link NetStack} on virtual time, fed a sequence of frames
 * built from the fuzzer's input: every frame has a right Ethernet header, IP header checksum and
 * transport checksum (unless the input asks for a broken one), so the fuzzer gets past the
 * checks into ARP, IPv4 options and fragments, ICMP, IPv6 extension headers and fragments,
 * ICMPv6/ND/MLD, UDP and TCP (a listener on port 80 that answers what it reads; the peer follows
 * the host's sequence numbers when the input says so, so handshakes complete and data flows).
 *
 * <p>Invariants: nothing a peer sends reaches the stack's internal-error counter (every
 * exception is a bug the stack would otherwise swallow); reassembly, ARP and ND state stay within
 * their configured bounds; and once the peer is silent and every timer has run (10 minutes of
 * virtual time, connections aborted), every packet buffer is back in the pool.
 */
class StackReceiveFuzzTarget {
    static final long MAC_A = 0x020000000001L;
    static final long MAC_B = 0x020000000002L;
    static final int IP_A = 0x0a000001;
    static final int IP_B = 0x0a000002;
    static final long G_HI = 0x2001_0db8_0000_0000L;
    static final long LL_HI = 0xfe80_0000_0000_0000L;
    /** Shared across runs: every run must give every buffer back (asserted), so each starts with a full pool. */
    private static final PacketPool POOL = new PacketPool(512, 1792, 8);

    private int hostSeq;       // next sequence number the host will send (learnt from its segments)
    private int hostPort = 80; // the port of the host's last TCP segment
    private int peerSeq;
    private int peerPort;

    @FuzzTest(maxDuration = "1h", maxExecutions = 10_000_000)
    void receivePath(FuzzedDataProvider in) {
        VirtualClock clock = new VirtualClock();
        PairLink[] wire = PairLink.create(1500);
        StackConfig c = new StackConfig();
        c.mac = MacAddress.of(MAC_B);
        c.ipv4.add(new InterfaceAddress(IP_B, 24));
        c.ipv6.add(Ipv6InterfaceAddress.parse("2001:db8::2/64"));
        c.seed = 1;
        c.ipv6StableSecret = new byte[32];
        c.dadTransmits = 0;
        c.reassemblyMaxDatagrams = 8;
        c.reassemblyMaxBytes = 64 << 10;
        c.arpCacheSize = 16;
        c.ndCacheSize = 16;
        NetStack b = new NetStack(wire[1], c, clock, POOL);
        pending.clear();
        hostSeq = 0;
        peerSeq = in.consumeInt();
        peerPort = 40000 + in.consumeInt(0, 3);
        b.setFrameTap((buf, off, len, wall, out) -> {
            if (out) {
                byte[] f = new byte[len];
                buf.get(off, f, 0, len);
                learn(f);
            }
        });
        List<TcpConnection> conns = new ArrayList<>();
        UdpSocket udp;
        TcpListener listener;
        try {
            udp = b.udp().open().bind(null, 5000);
            listener = b.tcp().listen(80);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        listener.setAcceptHandler(l -> {
            for (TcpConnection k; (k = l.accept()) != null; ) {
                conns.add(k);
            }
        });
        b.poll(clock.nanos());
        ByteBuffer scratch = ByteBuffer.allocate(70000);
        int frames = in.consumeInt(1, 24);
        for (int i = 0; i < frames && in.remainingBytes() > 0; i++) {
            byte[] f = frame(in);
            wire[1].inject(f);
            b.poll(clock.nanos());
            clock.advance(in.consumeInt(0, 3000) * 1_000_000L);
            b.poll(clock.nanos());
            assertEquals(0, b.linkStats().get(LinkCounter.INTERNAL_ERROR), "an exception inside the stack");
            // the applications read what arrived (UDP drained, TCP echoed back once)
            scratch.clear();
            try {
                while (udp.receive(scratch) >= 0) {
                    scratch.clear();
                }
                for (TcpConnection k : conns) {
                    scratch.clear();
                    int n = k.isOpen() ? k.read(scratch) : 0;
                    if (n > 0) {
                        scratch.flip();
                        k.write(scratch);
                    }
                }
            } catch (java.io.IOException e) {
                // a connection was reset or closed by the peer: fine
            }
            drain(wire[0]);
            assertTrue(b.ipv4().reassembler().bytesHeld() <= c.reassemblyMaxBytes);
            assertTrue(b.ipv4().reassembler().inProgress() <= c.reassemblyMaxDatagrams);
            assertTrue(b.ipv6().reassembler().bytesHeld() <= c.reassemblyMaxBytes);
            assertTrue(b.arp().entries().size() <= c.arpCacheSize);
            assertTrue(b.ndp().cacheSize() <= c.ndCacheSize);
        }
        // the peer goes silent: abort what is open, let every timer run, then no buffer may be held
        for (TcpConnection k : conns) {
            k.abort();
        }
        udp.close();
        listener.close();
        for (int t = 0; t < 600; t++) {
            clock.advance(1_000_000_000L);
            b.poll(clock.nanos());
            drain(wire[0]);
        }
        assertEquals(0, b.linkStats().get(LinkCounter.INTERNAL_ERROR), "an exception inside the stack");
        assertEquals(0, b.ipv4().reassembler().inProgress());
        assertEquals(b.pool().totalSmall(), b.pool().availableSmall(), "small packet buffers leaked");
        assertEquals(b.pool().totalLarge(), b.pool().availableLarge(), "large packet buffers leaked");
        assertTrue(b.ipv4().counters().get(Ipv4Counter.RX_DELIVERED) >= 0);
    }

    private void drain(PairLink peerEnd) {
        io.tapstack.buffer.PacketBuf[] out = new io.tapstack.buffer.PacketBuf[16];
        PacketPool scratch = SCRATCH;
        int n;
        while ((n = peerEnd.receive(scratch, out, out.length)) > 0) {
            for (int i = 0; i < n; i++) {
                out[i].release();
            }
        }
    }

    private static final PacketPool SCRATCH = new PacketPool(16, 1792, 2);

    /** Follows the host's TCP sequence numbers, so that the peer can ACK what it sent. */
    private void learn(byte[] f) {
        if (f.length < 14 + 20) {
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(f);
        int type = b.getShort(12) & 0xffff;
        int l4;
        int total;
        if (type == EthernetFrame.TYPE_IPV4 && f[14 + 9] == 6) {
            l4 = 14 + (f[14] & 0x0f) * 4;
            total = 14 + (b.getShort(16) & 0xffff);
        } else if (type == EthernetFrame.TYPE_IPV6 && f.length >= 54 + 20 && f[14 + 6] == 6) {
            l4 = 54;
            total = 54 + (b.getShort(18) & 0xffff);
        } else {
            return;
        }
        if (total > f.length || l4 + 20 > total) {
            return;
        }
        int flags = f[l4 + 13] & 0xff;
        int hl = ((f[l4 + 12] & 0xff) >>> 4) * 4;
        int len = total - l4 - hl + ((flags & (TcpHeader.SYN | TcpHeader.FIN)) != 0 ? 1 : 0);
        hostSeq = b.getInt(l4 + 4) + Math.max(0, len);
        hostPort = b.getShort(l4) & 0xffff;
    }

    // ---------------------------------------------------------------- frame builders

    private static final int[] V4_PROTOS = {Ipv4Header.PROTO_ICMP, Ipv4Header.PROTO_UDP, Ipv4Header.PROTO_TCP, 2, 47, 255};

    private byte[] frame(FuzzedDataProvider in) {
        int kind = in.consumeInt(0, 7);
        return switch (kind) {
            case 0 -> arp(in);
            case 1, 2 -> ipv4Frame(in);
            case 3, 4 -> ipv6Frame(in, false);
            case 5 -> ipv6Frame(in, true);
            case 6 -> icmpv6Nd(in);
            default -> {
                // anything at all behind a header for us
                int type = in.pickValue(new int[] {EthernetFrame.TYPE_IPV4, EthernetFrame.TYPE_IPV6, EthernetFrame.TYPE_ARP,
                        EthernetFrame.TYPE_VLAN, in.consumeInt(0, 0xffff)});
                yield Frames.eth(dstMac(in), MAC_A, type, in.consumeBytes(in.consumeInt(0, 1600)));
            }
        };
    }

    private static long dstMac(FuzzedDataProvider in) {
        return switch (in.consumeInt(0, 5)) {
            case 0 -> Frames.BROADCAST;
            case 1 -> 0x3333_0000_0001L; // all-nodes
            case 2 -> 0x3333_ff00_0002L; // solicited-node of ::2
            case 3 -> 0x0100_5e00_0001L;
            default -> MAC_B;
        };
    }

    private byte[] arp(FuzzedDataProvider in) {
        int op = in.pickValue(new int[] {ArpPacket.OP_REQUEST, ArpPacket.OP_REPLY, in.consumeInt(0, 0xffff)});
        long sha = in.consumeBoolean() ? MAC_A : in.consumeLong() & 0xffff_ffff_ffffL;
        int spa = in.consumeBoolean() ? IP_A : (in.consumeBoolean() ? 0x0a000000 | in.consumeInt(0, 255) : in.consumeInt());
        int tpa = in.consumeBoolean() ? IP_B : in.consumeInt();
        byte[] a = Frames.arp(op, sha, spa, in.consumeLong() & 0xffff_ffff_ffffL, tpa);
        if (in.consumeBoolean()) {
            a[in.consumeInt(0, a.length - 1)] = in.consumeByte(); // a broken field
        }
        return Frames.eth(in.consumeBoolean() ? Frames.BROADCAST : MAC_B, sha, EthernetFrame.TYPE_ARP, a);
    }

    private byte[] ipv4Frame(FuzzedDataProvider in) {
        int proto = in.pickValue(V4_PROTOS);
        int src = in.consumeBoolean() ? IP_A : in.consumeInt();
        int dst = in.pickValue(new int[] {IP_B, IP_B, 0x0a0000ff, 0xffffffff, 0xe0000001, in.consumeInt()});
        byte[] options = new byte[in.consumeInt(0, 10) * 4];
        if (options.length > 0) {
            // Record Route / Timestamp / anything: the first bytes from the input
            options[0] = (byte) in.pickValue(new int[] {7, 68, 0x83, 0x89, 1, 0, in.consumeInt(0, 255)});
            byte[] rest = in.consumeBytes(options.length - 1);
            System.arraycopy(rest, 0, options, 1, rest.length);
        }
        byte[] l4 = transport(in, proto, false, src, dst, 0, 0, 0, 0);
        int flagsFrag = in.consumeBoolean() ? 0 : in.consumeInt(0, 0xffff);
        int hl = 20 + options.length;
        ByteBuffer p = ByteBuffer.allocate(hl + l4.length);
        Ipv4Header.emit(p, 0, in.consumeInt(0, 255), hl + l4.length, in.consumeInt(0, 7), flagsFrag,
                in.consumeInt(0, 255), proto, src, dst);
        p.put(0, (byte) (0x40 | hl / 4));
        p.put(20, options);
        p.put(hl, l4);
        p.putShort(Ipv4Header.CHECKSUM, (short) 0);
        p.putShort(Ipv4Header.CHECKSUM, (short) Checksum.compute(p, 0, hl));
        byte[] pkt = p.array();
        if (in.consumeBoolean() && (flagsFrag & 0x3fff) == 0 && l4.length > 16) {
            // two fragments, in an order from the input: one goes out now, the other when a later frame says so
            int cut = 8 * in.consumeInt(1, Math.max(1, (l4.length - 1) / 8));
            ByteBuffer f = ByteBuffer.allocate(hl + cut);
            f.put(0, pkt, 0, hl + cut);
            f.putShort(2, (short) (hl + cut));
            f.putShort(6, (short) Ipv4Header.FLAG_MF);
            f.putShort(10, (short) 0);
            f.putShort(10, (short) Checksum.compute(f, 0, hl));
            ByteBuffer g = ByteBuffer.allocate(hl + l4.length - cut);
            g.put(0, pkt, 0, hl);
            g.put(hl, pkt, hl + cut, l4.length - cut);
            g.putShort(2, (short) g.capacity());
            g.putShort(6, (short) (cut / 8));
            g.putShort(10, (short) 0);
            g.putShort(10, (short) Checksum.compute(g, 0, hl));
            boolean lastFirst = in.consumeBoolean();
            pending.add(Frames.eth(MAC_B, MAC_A, EthernetFrame.TYPE_IPV4, lastFirst ? f.array() : g.array()));
            pkt = lastFirst ? g.array() : f.array();
        }
        if (!pending.isEmpty() && in.consumeBoolean()) {
            return pending.remove(0);
        }
        return Frames.eth(dstMac(in), MAC_A, EthernetFrame.TYPE_IPV4, pkt);
    }

    private final List<byte[]> pending = new ArrayList<>();

    /** An upper-layer message with a right checksum over the v4 or v6 pseudo header. */
    private byte[] transport(FuzzedDataProvider in, int proto, boolean v6, int src4, int dst4,
                             long sHi, long sLo, long dHi, long dLo) {
        byte[] m;
        int csumAt;
        switch (proto) {
            case Ipv4Header.PROTO_ICMP -> {
                int type = in.pickValue(new int[] {Icmpv4.ECHO_REQUEST, Icmpv4.ECHO_REPLY, Icmpv4.DEST_UNREACHABLE,
                        Icmpv4.TIME_EXCEEDED, Icmpv4.REDIRECT, Icmpv4.PARAMETER_PROBLEM, Icmpv4.TIMESTAMP, in.consumeInt(0, 255)});
                m = icmpBody(in, type);
                csumAt = 2;
            }
            case 58 -> {
                int type = in.pickValue(new int[] {Icmpv6.ECHO_REQUEST, Icmpv6.DEST_UNREACHABLE, Icmpv6.PACKET_TOO_BIG,
                        Icmpv6.TIME_EXCEEDED, Icmpv6.PARAMETER_PROBLEM, Icmpv6.MLD_QUERY, in.consumeInt(0, 255)});
                m = icmpBody(in, type);
                csumAt = 2;
            }
            case 17 -> {
                byte[] d = in.consumeBytes(in.consumeInt(0, 1400));
                m = new byte[8 + d.length];
                ByteBuffer u = ByteBuffer.wrap(m);
                u.putShort(0, (short) in.consumeInt(0, 0xffff));
                u.putShort(2, (short) in.pickValue(new int[] {5000, 7, in.consumeInt(0, 0xffff)}));
                u.putShort(4, (short) (in.consumeBoolean() ? m.length : in.consumeInt(0, 0xffff)));
                u.put(8, d);
                csumAt = 6;
            }
            case 6 -> {
                m = tcpSegment(in);
                csumAt = 16;
            }
            default -> {
                return in.consumeBytes(in.consumeInt(0, 200));
            }
        }
        ByteBuffer b = ByteBuffer.wrap(m);
        long pseudo = v6 ? Checksum.pseudoV6(sHi, sLo, dHi, dLo, proto, m.length)
                : Checksum.pseudoV4(src4, dst4, proto, m.length);
        if (proto == Ipv4Header.PROTO_ICMP && !v6) {
            pseudo = 0;
        }
        int sum = Checksum.finish(Checksum.add(pseudo, b, 0, m.length));
        if (proto == 17 && sum == 0) {
            sum = 0xffff;
        }
        b.putShort(csumAt, (short) sum);
        if (in.consumeInt(0, 15) == 0) {
            b.putShort(csumAt, (short) (sum + 1)); // now and then a bad checksum
        }
        return m;
    }

    private static byte[] icmpBody(FuzzedDataProvider in, int type) {
        byte[] rest = in.consumeBytes(4);
        byte[] d;
        if (type == Icmpv4.DEST_UNREACHABLE || type == Icmpv4.TIME_EXCEEDED || type == Icmpv6.PACKET_TOO_BIG
                || type == Icmpv4.PARAMETER_PROBLEM && in.consumeBoolean()) {
            // an error quoting one of "our" packets: an IPv4 or IPv6 header to the peer, then 8+ bytes
            boolean q6 = in.consumeBoolean();
            byte[] tail = in.consumeBytes(in.consumeInt(0, 64));
            ByteBuffer q = ByteBuffer.allocate((q6 ? 40 : 20) + tail.length);
            if (q6) {
                Ipv6Header.emit(q, 0, 0, 0, tail.length, in.pickValue(new int[] {6, 17, 58}), 64, G_HI, 2, G_HI, 1);
            } else {
                Ipv4Header.emit(q, 0, 0, 20 + tail.length, 1, 0, 64, in.pickValue(new int[] {1, 6, 17}), IP_B, IP_A);
            }
            q.put(q6 ? 40 : 20, tail);
            d = q.array();
        } else {
            d = in.consumeBytes(in.consumeInt(0, 600));
        }
        byte[] m = new byte[8 + d.length];
        m[0] = (byte) type;
        m[1] = (byte) in.consumeInt(0, 5);
        System.arraycopy(rest, 0, m, 4, rest.length);
        System.arraycopy(d, 0, m, 8, d.length);
        return m;
    }

    private byte[] tcpSegment(FuzzedDataProvider in) {
        byte[] opts;
        switch (in.consumeInt(0, 3)) {
            case 0 -> opts = new byte[0];
            case 1 -> {
                // the options of a Linux SYN
                ByteBuffer o = ByteBuffer.allocate(20);
                int n = TcpOptions.writeMss(o, 0, in.consumeInt(0, 0xffff));
                n += TcpOptions.writeSackPermTimestamp(o, n, in.consumeInt(), in.consumeInt());
                TcpOptions.writeNopWscale(o, n, in.consumeInt(0, 20));
                opts = o.array();
            }
            case 2 -> {
                ByteBuffer o = ByteBuffer.allocate(12 + 4 + 8 * 3);
                int n = TcpOptions.writeTimestamp(o, 0, in.consumeInt(), in.consumeInt());
                int k = in.consumeInt(1, 3);
                int[] l = new int[k];
                int[] r = new int[k];
                for (int i = 0; i < k; i++) {
                    l[i] = hostSeq + in.consumeInt(-3000, 3000);
                    r[i] = l[i] + in.consumeInt(-10, 3000);
                }
                n += TcpOptions.writeSack(o, n, l, r, k);
                opts = Arrays.copyOf(o.array(), (n + 3) & ~3);
            }
            default -> opts = Arrays.copyOf(in.consumeBytes(40), in.consumeInt(0, 10) * 4);
        }
        int flags = in.pickValue(new int[] {TcpHeader.SYN, TcpHeader.ACK_FLAG, TcpHeader.ACK_FLAG | TcpHeader.PSH,
                TcpHeader.ACK_FLAG | TcpHeader.FIN, TcpHeader.RST, TcpHeader.RST | TcpHeader.ACK_FLAG,
                TcpHeader.SYN | TcpHeader.ACK_FLAG, in.consumeInt(0, 255)});
        byte[] data = (flags & TcpHeader.SYN) != 0 && in.consumeBoolean() ? new byte[0] : in.consumeBytes(in.consumeInt(0, 1460));
        int seq = in.consumeBoolean() ? peerSeq : peerSeq + in.consumeInt(-70000, 70000);
        int ack = in.consumeBoolean() ? hostSeq : hostSeq + in.consumeInt(-70000, 70000);
        int dport = in.consumeInt(0, 7) == 0 ? in.consumeInt(0, 0xffff) : 80;
        byte[] m = new byte[20 + opts.length + data.length];
        ByteBuffer b = ByteBuffer.wrap(m);
        TcpHeader.emit(b, 0, peerPort, dport, seq, ack, 20 + opts.length, flags, in.consumeInt(0, 0xffff));
        b.putShort(TcpHeader.URGENT, (short) ((flags & TcpHeader.URG) != 0 ? in.consumeInt(0, 0xffff) : 0));
        b.put(20, opts);
        b.put(20 + opts.length, data);
        if (seq == peerSeq) {
            peerSeq += data.length + ((flags & TcpHeader.SYN) != 0 ? 1 : 0) + ((flags & TcpHeader.FIN) != 0 ? 1 : 0);
        }
        return m;
    }

    private byte[] ipv6Frame(FuzzedDataProvider in, boolean extensions) {
        int nh = in.pickValue(new int[] {58, 17, 6, 58, in.consumeInt(0, 255)});
        long sHi = in.consumeBoolean() ? G_HI : LL_HI;
        long sLo = in.consumeBoolean() ? 1 : in.consumeLong();
        long dHi = in.pickValue(new long[] {G_HI, G_HI, LL_HI, 0xff02_0000_0000_0000L});
        long dLo = dHi == LL_HI ? linkLocalLoOfB() : dHi == G_HI ? 2 : in.pickValue(new long[] {1, 0x1_ff00_0002L, 0x16});
        byte[] upper = transport(in, nh, true, 0, 0, sHi, sLo, dHi, dLo);
        ByteBuffer chain = ByteBuffer.allocate(8 * 40 + upper.length + 8);
        int at = 0;
        int first = nh;
        if (extensions) {
            int n = in.consumeInt(1, 4);
            int[] types = new int[n];
            for (int i = 0; i < n; i++) {
                types[i] = in.pickValue(new int[] {0, 43, 44, 60, 60});
            }
            first = types[0];
            for (int i = 0; i < n; i++) {
                int next = i + 1 < n ? types[i + 1] : nh;
                if (types[i] == 44) {
                    int off = in.consumeBoolean() ? 0 : in.consumeInt(0, 0xffff) & 0xfff8;
                    Ipv6FragmentHeader.emit(chain, at, next, off, in.consumeBoolean(), in.consumeInt());
                    at += 8;
                } else {
                    int len = in.consumeInt(0, 4);
                    chain.put(at, (byte) next);
                    chain.put(at + 1, (byte) len);
                    byte[] body = in.consumeBytes(len * 8 + 6);
                    if (body.length < len * 8 + 6) {
                        // PadN filling the rest
                        chain.put(at + 2, (byte) 1);
                        chain.put(at + 3, (byte) (len * 8 + 4));
                    } else {
                        chain.put(at + 2, body);
                    }
                    at += (len + 1) * 8;
                }
            }
        }
        chain.put(at, upper);
        byte[] payload = Arrays.copyOf(chain.array(), at + upper.length);
        int hop = in.consumeBoolean() ? 255 : in.consumeInt(0, 255);
        byte[] f = Frames.ipv6(dHi == 0xff02_0000_0000_0000L ? multicastMac(dLo) : MAC_B, MAC_A, sHi, sLo, dHi, dLo,
                first, hop, payload);
        if (in.consumeInt(0, 9) == 0) {
            ByteBuffer.wrap(f).putShort(18, (short) in.consumeInt(0, 0xffff)); // a payload length that lies
        }
        return f;
    }

    private static long multicastMac(long lo) {
        return 0x3333_0000_0000L | (lo & 0xffff_ffffL);
    }

    private long linkLocalLoOfB() {
        return 0x0000_00ff_fe00_0002L | 0x0200_0000_0000_0000L; // EUI-64 style; the stable IID differs, so often not ours
    }

    /** Neighbour Discovery: NS, NA, RS, RA (prefix, MTU), Redirect, with options from the input; hop limit 255. */
    private byte[] icmpv6Nd(FuzzedDataProvider in) {
        int type = in.pickValue(new int[] {Icmpv6.NEIGHBOR_SOLICITATION, Icmpv6.NEIGHBOR_ADVERTISEMENT,
                Icmpv6.ROUTER_ADVERTISEMENT, Icmpv6.REDIRECT, Icmpv6.ROUTER_SOLICITATION, Icmpv6.MLD_QUERY});
        long sHi = in.consumeBoolean() ? LL_HI : (in.consumeBoolean() ? G_HI : 0);
        long sLo = sHi == 0 ? 0 : (in.consumeBoolean() ? 1 : in.consumeLong());
        ByteBuffer m = ByteBuffer.allocate(1200);
        m.put(0, (byte) type);
        m.put(1, (byte) (in.consumeInt(0, 7) == 0 ? 1 : 0));
        int at;
        switch (type) {
            case Icmpv6.NEIGHBOR_SOLICITATION, Icmpv6.NEIGHBOR_ADVERTISEMENT -> {
                m.putInt(4, in.consumeInt());
                m.putLong(8, in.consumeBoolean() ? G_HI : LL_HI);
                m.putLong(16, in.consumeBoolean() ? 2 : in.consumeLong());
                at = 24;
            }
            case Icmpv6.ROUTER_ADVERTISEMENT -> {
                m.put(4, (byte) in.consumeInt(0, 255));
                m.put(5, (byte) in.consumeInt(0, 255));
                m.putShort(6, (short) in.consumeInt(0, 0xffff));
                m.putInt(8, in.consumeInt(0, 100_000));
                m.putInt(12, in.consumeInt(0, 10_000));
                at = 16;
                int np = in.consumeInt(0, 3);
                for (int i = 0; i < np; i++) {
                    NdpOptions.emitPrefix(m, at, in.pickValue(new int[] {64, 64, in.consumeInt(0, 255)}), in.consumeBoolean(),
                            in.consumeBoolean(), in.consumeInt(0, 0x7fffffff), in.consumeInt(0, 0x7fffffff),
                            in.consumeBoolean() ? 0x2001_0db8_0001_0000L | in.consumeInt(0, 15) : in.consumeLong(), 0);
                    at += 32;
                }
                if (in.consumeBoolean()) {
                    NdpOptions.emitMtu(m, at, in.consumeInt(0, 70000));
                    at += 8;
                }
            }
            case Icmpv6.REDIRECT -> {
                m.putLong(8, LL_HI);
                m.putLong(16, in.consumeLong());
                m.putLong(24, in.consumeBoolean() ? G_HI : in.consumeLong());
                m.putLong(32, in.consumeLong());
                at = 40;
            }
            case Icmpv6.MLD_QUERY -> {
                m.putShort(4, (short) in.consumeInt(0, 0xffff));
                m.putLong(8, in.consumeBoolean() ? 0 : 0xff02_0000_0000_0000L);
                m.putLong(16, in.consumeBoolean() ? 0 : 1);
                at = 24;
                if (in.consumeBoolean()) { // MLDv2 query: flags, QQIC, number of sources
                    m.put(24, (byte) in.consumeInt(0, 255));
                    m.put(25, (byte) in.consumeInt(0, 255));
                    int ns = in.consumeInt(0, 3);
                    m.putShort(26, (short) ns);
                    at = 28 + 16 * ns;
                }
            }
            default -> at = 8;
        }
        int no = in.consumeInt(0, 3);
        for (int i = 0; i < no && at + 16 <= m.capacity() - 64; i++) {
            int ot = in.pickValue(new int[] {NdpOptions.SOURCE_LLA, NdpOptions.TARGET_LLA, NdpOptions.NONCE,
                    NdpOptions.REDIRECTED_HEADER, in.consumeInt(0, 255)});
            int ol = in.consumeInt(0, 3);
            m.put(at, (byte) ot);
            m.put(at + 1, (byte) ol);
            byte[] v = in.consumeBytes(Math.max(0, ol * 8 - 2));
            m.put(at + 2, v);
            at += Math.max(ol * 8, 2 + v.length);
        }
        int len = at;
        long dHi = in.consumeBoolean() ? 0xff02_0000_0000_0000L : G_HI;
        long dLo = dHi == G_HI ? 2 : in.pickValue(new long[] {1, 2, 0x1_ff00_0002L});
        long pseudo = Checksum.pseudoV6(sHi, sLo, dHi, dLo, 58, len);
        m.putShort(2, (short) Checksum.finish(Checksum.add(pseudo, m, 0, len)));
        int hop = in.consumeInt(0, 15) == 0 ? 64 : 255;
        return Frames.ipv6(dHi == G_HI ? MAC_B : multicastMac(dLo), MAC_A, sHi, sLo, dHi, dLo, 58, hop,
                Arrays.copyOf(m.array(), len));
    }
}

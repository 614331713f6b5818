package io.tapstack.ip6;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.context.StackConfig;
import io.tapstack.context.StackContext;
import io.tapstack.ip.IcmpVerdict;
import io.tapstack.ip.IpMeta;
import io.tapstack.ip.IpProtocolHandler;
import io.tapstack.stats.Counters;
import io.tapstack.util.TokenBucket;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.Icmpv6;
import io.tapstack.wire.Ipv6Address;
import io.tapstack.wire.Ipv6Header;
import io.tapstack.wire.MacAddress;

import java.nio.ByteBuffer;

/**
 * ICMPv6 (RFC 4443): echo, errors generated under the rules of §2.4 (never about an error, a
 * multicast or an anonymous source, with the Packet Too Big / option exceptions) and a token
 * bucket rate limit (§2.4 f), errors received passed to the transport that sent the quoted
 * packet, Packet Too Big to the path MTU cache (RFC 8201) once that transport has accepted it
 * (RFC 8201 §4, RFC 5927 §5.2), and Neighbor Discovery / MLD types
 * handed to {@link io.tapstack.ip6.Ndp}.
 */
public final class Icmp6 implements IpProtocolHandler {
    /** Receives echo replies (for an in-stack ping6 client). */
    public interface EchoListener {
        void onEchoReply(long srcHi, long srcLo, int id, int seq, ByteBuffer data, int off, int len, long now);
    }

    private final StackContext ctx;
    private final Ipv6 ipv6;
    private final StackConfig config;
    private final Counters<Icmp6Counter> counters;
    private final Icmpv6 view = new Icmpv6();
    private final TokenBucket errorLimit;
    private EchoListener echoListener;

    /** Built by {@link Ipv6}, to which it attaches itself as next header 58. */
    Icmp6(StackContext ctx, StackConfig config, Ipv6 ipv6) {
        this.ctx = ctx;
        this.ipv6 = ipv6;
        this.config = config;
        this.counters = ctx.stats().register("icmp6", Icmp6Counter.class);
        this.errorLimit = new TokenBucket(config.icmpErrorsPerSecond, config.icmpErrorBurst, ctx.now());
        ipv6.register(Ipv6Header.NH_ICMPV6, this);
    }

    public Counters<Icmp6Counter> counters() {
        return counters;
    }

    public void setEchoListener(EchoListener l) {
        this.echoListener = l;
    }

    @Override
    public void input(PacketBuf p, IpMeta meta) {
        counters.inc(Icmp6Counter.RX);
        try {
            view.wrap(p.buf(), p.start(), p.length());
            long ps = Checksum.pseudoV6(meta.srcHi, meta.srcLo, meta.dstHi, meta.dstLo, Ipv6Header.NH_ICMPV6, p.length());
            Icmpv6.Error err = view.check(!meta.checksumValid, ps);
            if (err != Icmpv6.Error.NONE) {
                counters.inc(err == Icmpv6.Error.TRUNCATED ? Icmp6Counter.DROP_TRUNCATED : Icmp6Counter.DROP_BAD_CHECKSUM);
                return;
            }
            int type = view.type();
            if (type >= Icmpv6.MLD_QUERY && type <= Icmpv6.REDIRECT || type == Icmpv6.MLD_REPORT_V2) {
                counters.inc(type >= Icmpv6.ROUTER_SOLICITATION && type <= Icmpv6.REDIRECT ? Icmp6Counter.RX_ND : Icmp6Counter.RX_MLD);
                ipv6.ndp().input(p, meta, view);
                return;
            }
            if (view.length() < Icmpv6.HEADER_LEN) {
                counters.inc(Icmp6Counter.DROP_TRUNCATED);
                return;
            }
            switch (type) {
                case Icmpv6.ECHO_REQUEST -> echo(p, meta);
                case Icmpv6.ECHO_REPLY -> {
                    counters.inc(Icmp6Counter.RX_ECHO_REPLY);
                    EchoListener l = echoListener;
                    if (l != null) {
                        l.onEchoReply(meta.srcHi, meta.srcLo, view.id(), view.seq(), p.buf(), view.dataOffset(),
                                view.dataLength(), ctx.now());
                    }
                }
                default -> {
                    if (Icmpv6.isError(type)) {
                        counters.inc(switch (type) {
                            case Icmpv6.DEST_UNREACHABLE -> Icmp6Counter.RX_DEST_UNREACHABLE;
                            case Icmpv6.PACKET_TOO_BIG -> Icmp6Counter.RX_PACKET_TOO_BIG;
                            case Icmpv6.TIME_EXCEEDED -> Icmp6Counter.RX_TIME_EXCEEDED;
                            case Icmpv6.PARAMETER_PROBLEM -> Icmp6Counter.RX_PARAMETER_PROBLEM;
                            default -> Icmp6Counter.RX_OTHER;
                        });
                        // RFC 4443 §2.4 (a): unknown error types are passed up as well.
                        deliverError(p, meta);
                    } else {
                        // RFC 4443 §2.4 (b): unknown informational messages are silently discarded.
                        counters.inc(Icmp6Counter.DROP_UNKNOWN_INFO);
                    }
                }
            }
        } finally {
            p.release();
        }
    }

    /** RFC 4443 §4.2: the reply carries the request's identifier, sequence and data. */
    private void echo(PacketBuf p, IpMeta meta) {
        counters.inc(Icmp6Counter.RX_ECHO_REQUEST);
        if (meta.dstBroadcastOrMulticast && !config.icmp6EchoMulticast) {
            counters.inc(Icmp6Counter.ERRORS_SUPPRESSED);
            return;
        }
        int len = view.length();
        PacketBuf r = ctx.allocate(len);
        if (r == null) {
            counters.inc(Icmp6Counter.DROP_NO_BUFFER);
            return;
        }
        // RFC 4443 §4.2: the source is the request's destination if unicast; for a multicast
        // request, one of our unicast addresses (chosen by source address selection).
        long sHi = 0;
        long sLo = 0;
        if (!meta.dstBroadcastOrMulticast) {
            sHi = meta.dstHi;
            sLo = meta.dstLo;
        } else {
            LocalAddress a = ipv6.selectSource(meta.srcHi, meta.srcLo);
            if (a == null) {
                r.release();
                return;
            }
            sHi = a.hi();
            sLo = a.lo();
        }
        int at = r.append(len);
        r.buf().put(at, p.buf(), p.start(), len);
        r.buf().put(at + Icmpv6.TYPE, (byte) Icmpv6.ECHO_REPLY);
        r.buf().put(at + Icmpv6.CODE, (byte) 0);
        Icmpv6.fillChecksum(r.buf(), at, len, Checksum.pseudoV6(sHi, sLo, meta.srcHi, meta.srcLo, Ipv6Header.NH_ICMPV6, len));
        counters.inc(Icmp6Counter.TX);
        counters.inc(Icmp6Counter.TX_ECHO_REPLY);
        recordEcho(meta.srcHi, meta.srcLo, Icmpv6.ECHO_REPLY, view.rest());
        ipv6.output(r, sHi, sLo, meta.srcHi, meta.srcLo, Ipv6Header.NH_ICMPV6, 0, meta.tos);
    }

    /** Sends an echo request (ping6). Returns false without a buffer or a source address. */
    public boolean sendEchoRequest(long dstHi, long dstLo, int id, int seq, byte[] data) {
        LocalAddress src = ipv6.selectSource(dstHi, dstLo);
        if (src == null) {
            return false;
        }
        int len = Icmpv6.HEADER_LEN + data.length;
        PacketBuf r = ctx.allocate(len);
        if (r == null) {
            counters.inc(Icmp6Counter.DROP_NO_BUFFER);
            return false;
        }
        int at = r.append(len);
        Icmpv6.emitHeader(r.buf(), at, Icmpv6.ECHO_REQUEST, 0, (id << 16) | (seq & 0xffff));
        r.buf().put(at + Icmpv6.HEADER_LEN, data);
        Icmpv6.fillChecksum(r.buf(), at, len, Checksum.pseudoV6(src.hi(), src.lo(), dstHi, dstLo, Ipv6Header.NH_ICMPV6, len));
        counters.inc(Icmp6Counter.TX);
        counters.inc(Icmp6Counter.TX_ECHO_REQUEST);
        recordEcho(dstHi, dstLo, Icmpv6.ECHO_REQUEST, (id << 16) | (seq & 0xffff));
        return ipv6.output(r, src.hi(), src.lo(), dstHi, dstLo, Ipv6Header.NH_ICMPV6, 0, 0)
                == io.tapstack.ip6.Ipv6.Result.OK;
    }

    // ---- errors received ----

    private void deliverError(PacketBuf p, IpMeta meta) {
        ByteBuffer b = p.buf();
        int qoff = view.dataOffset();
        int qlen = view.dataLength();
        // RFC 4443 §2.4 (d): the quote must hold the original IPv6 header (and we need it to
        // be about a packet we sent).
        if (qlen < Ipv6Header.LENGTH || (b.get(qoff) >>> 4 & 0xf) != 6
                || !ipv6.isLocal(b.getLong(qoff + Ipv6Header.SRC), b.getLong(qoff + Ipv6Header.SRC + 8))) {
            counters.inc(Icmp6Counter.DROP_BAD_QUOTE);
            return;
        }
        int type = view.type();
        int info = view.rest();
        if (type == Icmpv6.PACKET_TOO_BIG) {
            // RFC 4443 §3.2: the MTU is an unsigned 32-bit field; RFC 8201 §4: a PTB reporting less
            // than 1280 sets the estimate to 1280. The transport and the cache see the same value.
            info = (int) Math.max(PathMtuCache.IPV6_MIN_MTU, Math.min(info & 0xffff_ffffL, Integer.MAX_VALUE));
        }
        // Find the upper-layer protocol of the quoted packet through its extension headers.
        int nh = b.get(qoff + Ipv6Header.NEXT_HEADER) & 0xff;
        int at = qoff + Ipv6Header.LENGTH;
        int end = qoff + qlen;
        for (int i = 0; i < 16 && (nh == Ipv6Header.NH_HOP_BY_HOP || nh == Ipv6Header.NH_ROUTING
                || nh == Ipv6Header.NH_DEST_OPTIONS || nh == Ipv6Header.NH_FRAGMENT); i++) {
            if (at + 8 > end) {
                counters.inc(Icmp6Counter.DROP_BAD_QUOTE);
                return;
            }
            int len = nh == Ipv6Header.NH_FRAGMENT ? 8 : ((b.get(at + 1) & 0xff) + 1) * 8;
            nh = b.get(at) & 0xff;
            at += len;
        }
        long dHi = b.getLong(qoff + Ipv6Header.DST);
        long dLo = b.getLong(qoff + Ipv6Header.DST + 8);
        // The transport that sent the quoted packet judges it first (and acts on it: TCP lowers
        // the connection's MSS for a PTB it believes).
        IcmpVerdict verdict;
        if (nh == Ipv6Header.NH_ICMPV6) {
            verdict = at + Icmpv6.HEADER_LEN <= end
                    && echoSent(dHi, dLo, b.get(at) & 0xff, b.getInt(at + 4)) ? IcmpVerdict.ACCEPTED : IcmpVerdict.NO_FLOW;
        } else {
            IpProtocolHandler h = ipv6.handler(nh);
            verdict = h == null ? IcmpVerdict.UNSUPPORTED : h.icmpError(6, type, view.code(), info, b, qoff, qlen, meta);
        }
        if (type == Icmpv6.PACKET_TOO_BIG) {
            // RFC 8201 §4: "Nodes SHOULD appropriately validate the payload of ICMPv6 PTB messages
            // to ensure these are received in response to transmitted traffic"; RFC 5927 §5.2
            // for TCP. The path MTU towards the quoted destination is shared by every flow to it,
            // so only a PTB its transport accepted lowers it (never below 1280); a forged one
            // quoting no flow or a sequence number not in flight changes nothing and is counted.
            switch (verdict) {
                case ACCEPTED -> {
                    if (ipv6.pathMtuCache().update(dHi, dLo, info, ipv6.linkMtu(), ctx.now())) {
                        counters.inc(Icmp6Counter.PMTU_LOWERED);
                    }
                }
                case NO_FLOW -> counters.inc(Icmp6Counter.PTB_REFUSED_NO_FLOW);
                case NOT_IN_FLIGHT -> counters.inc(Icmp6Counter.PTB_REFUSED_NOT_IN_FLIGHT);
                default -> counters.inc(Icmp6Counter.PTB_REFUSED_NO_TRANSPORT);
            }
        }
    }

    /**
     * RFC 8201 §4 for ICMPv6 itself: the echo requests and replies this host sent lately
     * ({@link #ECHO_RECORDS}, in a ring: destination, type, identifier and sequence number), so that
     * a PTB quoting one of them can be told from a forged one. A PTB quoting an echo message
     * that is not among them (another identifier, say) is refused, as TAHI's v6LC.4.1.12 expects.
     */
    static final int ECHO_RECORDS = 64;
    private final long[] echoHi = new long[ECHO_RECORDS];
    private final long[] echoLo = new long[ECHO_RECORDS];
    private final long[] echoKey = new long[ECHO_RECORDS];
    private int echoNext;

    private void recordEcho(long dstHi, long dstLo, int type, int idSeq) {
        int i = echoNext;
        echoHi[i] = dstHi;
        echoLo[i] = dstLo;
        echoKey[i] = (long) type << 32 | (idSeq & 0xffff_ffffL);
        echoNext = (i + 1) % ECHO_RECORDS;
    }

    private boolean echoSent(long dstHi, long dstLo, int type, int idSeq) {
        if (type != Icmpv6.ECHO_REQUEST && type != Icmpv6.ECHO_REPLY) {
            return false;
        }
        long key = (long) type << 32 | (idSeq & 0xffff_ffffL);
        for (int i = 0; i < ECHO_RECORDS; i++) {
            if (echoKey[i] == key && echoHi[i] == dstHi && echoLo[i] == dstLo) {
                return true;
            }
        }
        return false;
    }

    /**
     * Reports an error about a packet we tried to send ourselves (e.g. address resolution failed,
     * RFC 4861 §7.2.2) to the transport directly, as if the ICMPv6 error had arrived.
     */
    public void localError(PacketBuf p, int type, int code) {
        int l3 = p.l3 >= 0 ? p.l3 : p.start();
        ByteBuffer b = p.buf();
        int len = p.end() - l3;
        if (len < Ipv6Header.LENGTH) {
            return;
        }
        int nh = b.get(l3 + Ipv6Header.NEXT_HEADER) & 0xff;
        IpProtocolHandler h = ipv6.handler(nh);
        if (h != null && h != this) {
            h.icmpError(6, type, code, 0, b, l3, len, null);
        }
    }

    // ---- errors sent ----

    /** Sends Destination Unreachable / Packet Too Big / Time Exceeded about {@code p} (l3 at its IPv6 header). */
    public void sendError(PacketBuf p, int type, int code, int info) {
        int l3 = p.l3 >= 0 ? p.l3 : p.start();
        boolean linkMcast = p.l2 >= 0 && MacAddress.isMulticast(MacAddress.read(p.buf(), p.l2));
        send(p.buf(), l3, p.end() - l3, type, code, info, type == Icmpv6.PACKET_TOO_BIG, linkMcast);
    }

    /**
     * Sends Parameter Problem with a pointer (offset from the start of the invoking packet).
     * {@code evenIfMulticast}: RFC 4443 §2.4 (e.3) exception for unrecognised options whose
     * type has the high bits 10.
     */
    public void sendParamProblem(PacketBuf p, int code, int pointer, boolean evenIfMulticast) {
        int l3 = p.l3 >= 0 ? p.l3 : p.start();
        boolean linkMcast = p.l2 >= 0 && MacAddress.isMulticast(MacAddress.read(p.buf(), p.l2));
        send(p.buf(), l3, p.end() - l3, Icmpv6.PARAMETER_PROBLEM, code, pointer, evenIfMulticast, linkMcast);
    }

    /** Sends an error quoting a saved copy of a packet's start (reassembly timeout). */
    public void sendErrorQuoting(byte[] packetStart, int type, int code, int info) {
        send(ByteBuffer.wrap(packetStart), 0, packetStart.length, type, code, info, false, false);
    }

    private void send(ByteBuffer b, int l3, int avail, int type, int code, int info, boolean mcastOk, boolean linkMcast) {
        if (avail < Ipv6Header.LENGTH) {
            return;
        }
        long sHi = b.getLong(l3 + Ipv6Header.SRC);
        long sLo = b.getLong(l3 + Ipv6Header.SRC + 8);
        long dHi = b.getLong(l3 + Ipv6Header.DST);
        long dLo = b.getLong(l3 + Ipv6Header.DST + 8);
        // RFC 4443 §2.4 (e.1, e.2): never about an ICMPv6 error message or a Redirect.
        int nh = b.get(l3 + Ipv6Header.NEXT_HEADER) & 0xff;
        if (nh == Ipv6Header.NH_ICMPV6 && avail > Ipv6Header.LENGTH) {
            int t = b.get(l3 + Ipv6Header.LENGTH) & 0xff;
            if (Icmpv6.isError(t) || t == Icmpv6.REDIRECT) {
                counters.inc(Icmp6Counter.ERRORS_SUPPRESSED);
                return;
            }
        }
        // (e.3, e.4): not about a packet to a multicast address or sent as link-layer
        // multicast/broadcast, except Packet Too Big and Parameter Problem code 2 for options
        // whose type's high bits are 10.
        if ((Ipv6Address.isMulticast(dHi) || linkMcast) && !mcastOk) {
            counters.inc(Icmp6Counter.ERRORS_SUPPRESSED);
            return;
        }
        // (e.5): not when the source does not identify a single node.
        if (Ipv6Address.isUnspecified(sHi, sLo) || Ipv6Address.isMulticast(sHi)) {
            counters.inc(Icmp6Counter.ERRORS_SUPPRESSED);
            return;
        }
        // (f): rate limited.
        if (!errorLimit.take(ctx.now())) {
            counters.inc(Icmp6Counter.ERRORS_RATE_LIMITED);
            return;
        }
        // Our source: the invoking packet's destination if it is ours, else by selection.
        long oHi;
        long oLo;
        if (ipv6.isLocal(dHi, dLo)) {
            oHi = dHi;
            oLo = dLo;
        } else {
            LocalAddress a = ipv6.selectSource(sHi, sLo);
            if (a == null) {
                counters.inc(Icmp6Counter.ERRORS_SUPPRESSED);
                return;
            }
            oHi = a.hi();
            oLo = a.lo();
        }
        // (c): as much of the invoking packet as fits in the minimum MTU.
        int qlen = Math.min(avail, Icmp6Limits.MAX_QUOTE);
        int len = Icmpv6.HEADER_LEN + qlen;
        PacketBuf r = ctx.allocate(len);
        if (r == null) {
            counters.inc(Icmp6Counter.DROP_NO_BUFFER);
            return;
        }
        int at = r.append(len);
        Icmpv6.emitHeader(r.buf(), at, type, code, info);
        r.buf().put(at + Icmpv6.HEADER_LEN, b, l3, qlen);
        Icmpv6.fillChecksum(r.buf(), at, len, Checksum.pseudoV6(oHi, oLo, sHi, sLo, Ipv6Header.NH_ICMPV6, len));
        counters.inc(Icmp6Counter.TX);
        counters.inc(switch (type) {
            case Icmpv6.DEST_UNREACHABLE -> Icmp6Counter.TX_DEST_UNREACHABLE;
            case Icmpv6.PACKET_TOO_BIG -> Icmp6Counter.TX_PACKET_TOO_BIG;
            case Icmpv6.TIME_EXCEEDED -> Icmp6Counter.TX_TIME_EXCEEDED;
            default -> Icmp6Counter.TX_PARAMETER_PROBLEM;
        });
        ipv6.output(r, oHi, oLo, sHi, sLo, Ipv6Header.NH_ICMPV6, 0, 0);
    }

}

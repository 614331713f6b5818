package io.tapstack.ip;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.context.StackConfig;
import io.tapstack.context.StackContext;
import io.tapstack.stats.Counters;
import io.tapstack.util.TokenBucket;
import io.tapstack.wire.Icmpv4;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.Ipv4Header;

import java.nio.ByteBuffer;

/**
 * ICMP for IPv4 (RFC 792, RFC 1122 §3.2.2): echo, errors generated with a rate limit and
 * never about an error, a broadcast or a non-first fragment, and errors received passed to the
 * transport that sent the quoted packet.
 */
public final class Icmp implements IpProtocolHandler {
    /** Receives echo replies (for an in-stack ping client). */
    public interface EchoListener {
        void onEchoReply(int src, int id, int seq, ByteBuffer data, int off, int len, long now);
    }

    /** Largest error message: RFC 1812 §4.3.2.3 quotes as much as fits in 576 bytes. */
    private static final int MAX_ERROR_LEN = 576;
    /**
     * Octets of the invoking datagram an error carries at most: 576 − 20 (IP) − 8 (ICMP). More
     * than the IP header + 8 octets RFC 1122 §3.2.2 asks of a host; as Linux (icmp_send).
     */
    static final int MAX_QUOTE = MAX_ERROR_LEN - Ipv4Header.MIN_LENGTH - Icmpv4.HEADER_LEN;

    private final StackContext ctx;
    private final Ipv4 ipv4;
    private final StackConfig config;
    private final Counters<IcmpCounter> counters;
    private final Icmpv4 view = new Icmpv4();
    private final Ipv4Header quoted = new Ipv4Header();
    private final IpMeta errMeta = new IpMeta();
    private final TokenBucket errorLimit;
    private EchoListener echoListener;

    /** Built by {@link Ipv4}, to which it attaches itself as protocol 1. */
    Icmp(StackContext ctx, StackConfig config, Ipv4 ipv4) {
        this.ctx = ctx;
        this.ipv4 = ipv4;
        this.config = config;
        this.counters = ctx.stats().register("icmp", IcmpCounter.class);
        this.errorLimit = new TokenBucket(config.icmpErrorsPerSecond, config.icmpErrorBurst, ctx.now());
        ipv4.register(Ipv4Header.PROTO_ICMP, this);
    }

    public Counters<IcmpCounter> counters() {
        return counters;
    }

    public void setEchoListener(EchoListener l) {
        this.echoListener = l;
    }

    @Override
    public void input(PacketBuf p, IpMeta meta) {
        counters.inc(IcmpCounter.RX);
        try {
            view.wrap(p.buf(), p.start(), p.length());
            Icmpv4.Error err = view.check(true);
            if (err != Icmpv4.Error.NONE) {
                counters.inc(err == Icmpv4.Error.TRUNCATED ? IcmpCounter.DROP_TRUNCATED : IcmpCounter.DROP_BAD_CHECKSUM);
                return;
            }
            switch (view.type()) {
                case Icmpv4.ECHO_REQUEST -> echo(p, meta);
                case Icmpv4.ECHO_REPLY -> {
                    counters.inc(IcmpCounter.RX_ECHO_REPLY);
                    EchoListener l = echoListener;
                    if (l != null) {
                        l.onEchoReply(meta.src4(), view.id(), view.seq(), p.buf(), view.dataOffset(), view.dataLength(), ctx.now());
                    }
                }
                case Icmpv4.DEST_UNREACHABLE, Icmpv4.TIME_EXCEEDED, Icmpv4.PARAMETER_PROBLEM, Icmpv4.SOURCE_QUENCH -> {
                    counters.inc(view.type() == Icmpv4.DEST_UNREACHABLE ? IcmpCounter.RX_DEST_UNREACHABLE
                            : view.type() == Icmpv4.TIME_EXCEEDED ? IcmpCounter.RX_TIME_EXCEEDED : IcmpCounter.RX_OTHER);
                    deliverError(p, meta);
                }
                default -> counters.inc(IcmpCounter.RX_OTHER);
            }
        } finally {
            p.release();
        }
    }

    /** RFC 792 echo: the reply carries the same identifier, sequence number and data. */
    private void echo(PacketBuf p, IpMeta meta) {
        counters.inc(IcmpCounter.RX_ECHO_REQUEST);
        if (meta.dstBroadcastOrMulticast && !config.icmpEchoBroadcast) {
            // RFC 1122 §3.2.2.6: MAY silently discard an echo to a broadcast/multicast address.
            counters.inc(IcmpCounter.DROP_BROADCAST_ECHO);
            return;
        }
        int len = view.length();
        // The reply's source is the address the request was sent to (RFC 1122 §3.2.2.6).
        int src = meta.dstBroadcastOrMulticast ? 0 : meta.dst4();
        int hl = p.l4 - meta.l3;
        int optLen = hl > Ipv4Header.MIN_LENGTH
                ? echoOptions(p.buf(), meta.l3 + Ipv4Header.MIN_LENGTH, hl - Ipv4Header.MIN_LENGTH,
                        src != 0 ? src : ipv4.sourceFor(meta.src4()))
                : 0;
        PacketBuf r = ctx.allocate(optLen + len);
        if (r == null) {
            counters.inc(IcmpCounter.DROP_NO_BUFFER);
            return;
        }
        int at = r.append(optLen + len);
        r.buf().put(at, replyOptions, 0, optLen);
        at += optLen;
        r.buf().put(at, p.buf(), p.start(), len);
        r.buf().put(at + Icmpv4.TYPE, (byte) Icmpv4.ECHO_REPLY);
        r.buf().put(at + Icmpv4.CODE, (byte) 0);
        Icmpv4.fillChecksum(r.buf(), at, len);
        counters.inc(IcmpCounter.TX);
        counters.inc(IcmpCounter.TX_ECHO_REPLY);
        if (optLen > 0) {
            counters.inc(IcmpCounter.TX_ECHO_REPLY_OPTIONS);
        }
        ipv4.output(r, src, meta.src4(), Ipv4Header.PROTO_ICMP, config.ttl, meta.tos, false, optLen);
    }

    /** The options of an echo reply, built by {@link #echoOptions} (loop thread only; at most 40 bytes). */
    private final byte[] replyOptions = new byte[40];

    /**
     * RFC 1122 §3.2.2.6: "If a Record Route and/or Time Stamp option is received in an ICMP Echo
     * Request, this option (these options) SHOULD be updated to include the current host and
     * included in the IP header of the Echo Reply message, without truncation." Writes the
     * updated Record Route (RFC 791 type 7) and Timestamp (type 68) options of the request's
     * {@code len} option bytes at {@code off} into {@link #replyOptions}, drops the others, pads
     * with End of Option List and returns the length (a multiple of 4). A full Record Route is
     * returned as it is; a full Timestamp option has its overflow count raised (RFC 791). The
     * timestamp is not milliseconds since midnight UT (the stack has no wall clock here), so it
     * carries the high-order bit that RFC 791 asks for then: the loop clock in milliseconds.
     */
    int echoOptions(ByteBuffer b, int off, int len, int self) {
        byte[] out = replyOptions;
        int o = 0;
        int end = off + len;
        for (int i = off; i < end; ) {
            int type = b.get(i) & 0xff;
            if (type == 0) {
                break; // End of Option List
            }
            if (type == 1) {
                i++; // No Operation: not copied
                continue;
            }
            if (i + 1 >= end) {
                break;
            }
            int ol = b.get(i + 1) & 0xff;
            if (ol < 2 || i + ol > end) {
                counters.inc(IcmpCounter.ECHO_BAD_OPTION);
                break; // malformed: keep what came before
            }
            if (type == 7 && ol >= 3 || type == 68 && ol >= 4) {
                b.get(i, out, o, ol);
                int ptr = out[o + 2] & 0xff;
                if (type == 7) {
                    // RFC 791 "Record Route": the pointer (from 1) names the next free 4-byte slot, 4 at least
                    if (ptr >= 4 && ptr + 3 <= ol) {
                        putInt(out, o + ptr - 1, self);
                        out[o + 2] = (byte) (ptr + 4);
                    }
                } else {
                    int flag = out[o + 3] & 0x0f;
                    int entry = flag == 0 ? 4 : 8;
                    int ts = (int) ((ctx.now() / 1_000_000L) & 0x7fff_ffffL) | 0x8000_0000;
                    if (ptr >= 5 && ptr + entry - 1 <= ol && (flag == 0 || flag == 1 || flag == 3)) {
                        if (flag == 0) {
                            putInt(out, o + ptr - 1, ts);
                            out[o + 2] = (byte) (ptr + 4);
                        } else if (flag == 1) {
                            putInt(out, o + ptr - 1, self);
                            putInt(out, o + ptr + 3, ts);
                            out[o + 2] = (byte) (ptr + 8);
                        } else if (getInt(out, o + ptr - 1) == self) {
                            // flag 3: only the prespecified address records its time
                            putInt(out, o + ptr + 3, ts);
                            out[o + 2] = (byte) (ptr + 8);
                        }
                    } else if (flag == 0 || flag == 1) {
                        // no room: count the hop in the overflow field (4 bits; stays at 15 when full)
                        int oflw = (out[o + 3] & 0xf0) >>> 4;
                        if (oflw < 15) {
                            out[o + 3] = (byte) ((oflw + 1) << 4 | flag);
                        }
                    }
                }
                o += ol;
            }
            i += ol;
        }
        while ((o & 3) != 0) {
            out[o++] = 0; // End of Option List as padding
        }
        return o;
    }

    private static void putInt(byte[] a, int at, int v) {
        a[at] = (byte) (v >>> 24);
        a[at + 1] = (byte) (v >>> 16);
        a[at + 2] = (byte) (v >>> 8);
        a[at + 3] = (byte) v;
    }

    private static int getInt(byte[] a, int at) {
        return (a[at] & 0xff) << 24 | (a[at + 1] & 0xff) << 16 | (a[at + 2] & 0xff) << 8 | (a[at + 3] & 0xff);
    }

    /** Sends an echo request (for a ping client in the stack). Returns false without a buffer. */
    public boolean sendEchoRequest(int dst, int id, int seq, byte[] data) {
        PacketBuf r = ctx.allocate(Icmpv4.HEADER_LEN + data.length);
        if (r == null) {
            counters.inc(IcmpCounter.DROP_NO_BUFFER);
            return false;
        }
        int at = r.append(Icmpv4.HEADER_LEN + data.length);
        Icmpv4.emitHeader(r.buf(), at, Icmpv4.ECHO_REQUEST, 0, (id << 16) | (seq & 0xffff));
        r.buf().put(at + Icmpv4.HEADER_LEN, data);
        Icmpv4.fillChecksum(r.buf(), at, Icmpv4.HEADER_LEN + data.length);
        counters.inc(IcmpCounter.TX);
        counters.inc(IcmpCounter.TX_ECHO_REQUEST);
        ipv4.output(r, 0, dst, Ipv4Header.PROTO_ICMP, config.ttl, 0, false);
        return true;
    }

    /** Passes an error to the transport named in the quoted header (RFC 1122 §3.2.2.1). */
    private void deliverError(PacketBuf p, IpMeta meta) {
        int qoff = view.dataOffset();
        int qlen = view.dataLength();
        quoted.wrap(p.buf(), qoff, qlen);
        // The quote must hold the whole original IP header and 8 bytes of its payload.
        if (qlen < Ipv4Header.MIN_LENGTH || (p.buf().get(qoff) >>> 4 & 0xf) != 4
                || quoted.headerLength() < Ipv4Header.MIN_LENGTH || qlen < quoted.headerLength() + 8) {
            counters.inc(IcmpCounter.DROP_BAD_QUOTE);
            return;
        }
        // It must be about a packet we sent.
        if (!ipv4.isLocal(quoted.src())) {
            counters.inc(IcmpCounter.DROP_BAD_QUOTE);
            return;
        }
        IpProtocolHandler h = ipv4.handler(quoted.protocol());
        boolean fragNeeded = view.type() == Icmpv4.DEST_UNREACHABLE && view.code() == Icmpv4.UNREACH_NEEDFRAG;
        IcmpVerdict verdict = IcmpVerdict.UNSUPPORTED;
        if (h != null && h != this) {
            int info = fragNeeded ? p.buf().getShort(p.start() + 6) & 0xffff : 0;
            verdict = h.icmpError(4, view.type(), view.code(), info, p.buf(), qoff, qlen, meta);
        }
        if (fragNeeded) {
            // RFC 1191 §3, RFC 5927 §5.2: IPv4 keeps no path MTU per destination; only TCP sets DF,
            // and it lowers the MTU of the one connection that accepts the error. Counted here by
            // reason like ICMPv6 Packet Too Big, so both families show what was refused.
            counters.inc(switch (verdict) {
                case ACCEPTED -> IcmpCounter.FRAG_NEEDED_ACCEPTED;
                case NO_FLOW -> IcmpCounter.FRAG_NEEDED_REFUSED_NO_FLOW;
                case NOT_IN_FLIGHT -> IcmpCounter.FRAG_NEEDED_REFUSED_NOT_IN_FLIGHT;
                default -> IcmpCounter.FRAG_NEEDED_REFUSED_NO_TRANSPORT;
            });
        }
    }

    /**
     * Sends Destination Unreachable about the received datagram in {@code p} (window or l3 at
     * its IP header), subject to the rules of RFC 1122 §3.2.2 and the rate limit.
     */
    public void sendUnreachable(PacketBuf p, int code, int info, boolean dstBroadcastOrMulticast) {
        if (dstBroadcastOrMulticast) {
            counters.inc(IcmpCounter.ERRORS_SUPPRESSED);
            return;
        }
        int l3 = p.l3 >= 0 ? p.l3 : p.start();
        sendError(p.buf(), l3, p.end() - l3, Icmpv4.DEST_UNREACHABLE, code, info);
    }

    /**
     * Sends an ICMP error of any type about the received datagram in {@code p} (l3 or window
     * at its IP header) under the same rules and rate limit: a router's Time Exceeded (RFC 1812
     * §5.3.1), Redirect (§5.2.7.2, {@code info} the gateway), Fragmentation Needed (RFC 1191 §4,
     * {@code info} the next-hop MTU).
     */
    public void sendErrorAbout(PacketBuf p, int type, int code, int info) {
        int l3 = p.l3 >= 0 ? p.l3 : p.start();
        sendError(p.buf(), l3, p.end() - l3, type, code, info);
    }

    /** Sends an error quoting a saved copy of a datagram's start (used by reassembly timeout). */
    public void sendErrorQuoting(byte[] datagramStart, int type, int code, int info) {
        sendError(ByteBuffer.wrap(datagramStart), 0, datagramStart.length, type, code, info);
    }

    private void sendError(ByteBuffer b, int l3, int avail, int type, int code, int info) {
        quoted.wrap(b, l3, avail);
        if (avail < Ipv4Header.MIN_LENGTH) {
            return;
        }
        int src = quoted.src();
        int proto = quoted.protocol();
        int hl = quoted.headerLength();
        // RFC 1122 §3.2.2: never about an ICMP error, a non-first fragment, or a datagram whose
        // source is not one unicast host.
        if (proto == Ipv4Header.PROTO_ICMP && avail > hl && Icmpv4.isError(b.get(l3 + hl) & 0xff)) {
            counters.inc(IcmpCounter.ERRORS_SUPPRESSED);
            return;
        }
        if ((quoted.flagsFrag() & Ipv4Header.FRAG_OFFSET_MASK) != 0 || src == 0 || src == Ipv4Address.BROADCAST
                || Ipv4Address.isMulticast(src) || Ipv4Address.isLoopback(src) || Ipv4Address.isClassE(src)) {
            counters.inc(IcmpCounter.ERRORS_SUPPRESSED);
            return;
        }
        if (!errorLimit.take(ctx.now())) {
            counters.inc(IcmpCounter.ERRORS_RATE_LIMITED);
            return;
        }
        // RFC 1812 §4.3.2.3: as much of the invoking datagram as fits in 576 octets (our header
        // has no options), RFC 1122 §3.2.2: never less than its IP header + 8 octets.
        int qlen = Math.min(avail, MAX_QUOTE);
        PacketBuf r = ctx.allocate(Icmpv4.HEADER_LEN + qlen);
        if (r == null) {
            counters.inc(IcmpCounter.DROP_NO_BUFFER);
            return;
        }
        int at = r.append(Icmpv4.HEADER_LEN + qlen);
        Icmpv4.emitHeader(r.buf(), at, type, code, info);
        r.buf().put(at + Icmpv4.HEADER_LEN, b, l3, qlen);
        Icmpv4.fillChecksum(r.buf(), at, Icmpv4.HEADER_LEN + qlen);
        counters.inc(IcmpCounter.TX);
        counters.inc(type == Icmpv4.TIME_EXCEEDED ? IcmpCounter.TX_TIME_EXCEEDED
                : type == Icmpv4.REDIRECT ? IcmpCounter.TX_REDIRECT : IcmpCounter.TX_DEST_UNREACHABLE);
        int dst = quoted.dst();
        int ourSrc = ipv4.isLocal(dst) ? dst : 0;
        ipv4.output(r, ourSrc, src, Ipv4Header.PROTO_ICMP, config.ttl, 0, false);
    }

}

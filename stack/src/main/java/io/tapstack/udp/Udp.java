package io.tapstack.udp;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.context.IpOutput;
import io.tapstack.context.StackConfig;
import io.tapstack.context.StackContext;
import io.tapstack.ip.IcmpVerdict;
import io.tapstack.ip.IpMeta;
import io.tapstack.ip.IpProtocolHandler;
import io.tapstack.stats.Counters;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.Icmpv4;
import io.tapstack.wire.Icmpv6;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.Ipv4Header;
import io.tapstack.wire.Ipv6Header;
import io.tapstack.wire.UdpHeader;

import java.io.IOException;
import java.net.BindException;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;

/**
 * UDP (RFC 768, RFC 1122 §4.1) for both IP versions: validation and checksums, demultiplexing
 * to {@link UdpSocket}s, ICMP port unreachable for closed ports, and ICMP errors passed to
 * connected sockets.
 *
 * <p>Sockets live in a table indexed by local port, each slot a short chain; a lookup walks the
 * chain and takes the best match (connected, then bound to the address, then wildcard), the
 * way Linux scores UDP sockets. Nothing is allocated per datagram.
 */
public final class Udp implements IpProtocolHandler {
    public static final int PROTOCOL = 17;

    final StackContext ctx;
    final IpOutput ip;
    final StackConfig config;
    private final Counters<UdpCounter> counters;
    private final UdpSocket[] ports = new UdpSocket[65536];
    private final UdpHeader hdr = new UdpHeader();
    private int bound;

    /**
     * UDP over {@code ip}; the stack attaches it to both network layers as protocol
     * {@link #PROTOCOL}.
     */
    public Udp(StackContext ctx, StackConfig config, IpOutput ip) {
        this.ctx = ctx;
        this.ip = ip;
        this.config = config;
        this.counters = ctx.stats().register("udp", UdpCounter.class);
    }

    public Counters<UdpCounter> counters() {
        return counters;
    }

    /** Opens an unbound socket (it binds to an ephemeral port on first send). Loop thread only. */
    public UdpSocket open() {
        return new UdpSocket(this);
    }

    /** Number of bound sockets. */
    public int boundCount() {
        return bound;
    }

    // ---- input ----

    @Override
    public void input(PacketBuf p, IpMeta meta) {
        counters.inc(UdpCounter.RX);
        hdr.wrap(p.buf(), p.start(), p.length());
        UdpHeader.Error err = hdr.check();
        if (err != UdpHeader.Error.NONE) {
            // RFC 1122 §4.1.3.4 / RFC 768: silently discard a datagram whose length is wrong.
            drop(p, err == UdpHeader.Error.TRUNCATED ? UdpCounter.DROP_TRUNCATED : UdpCounter.DROP_BAD_LENGTH);
            return;
        }
        int udpLen = hdr.length();
        // Bytes past the UDP length are not part of the datagram.
        p.trim(udpLen);
        int csum = hdr.checksum();
        if (csum == 0) {
            if (!meta.isV4()) {
                // RFC 8200 §8.1: a zero UDP checksum over IPv6 must be discarded (and logged).
                drop(p, UdpCounter.DROP_ZERO_CHECKSUM_V6);
                return;
            }
            // RFC 768: zero means the sender computed no checksum (IPv4 only).
            counters.inc(UdpCounter.RX_NO_CHECKSUM);
        } else if (!meta.checksumValid) {
            // RFC 1122 §4.1.3.4: a datagram with a bad checksum is silently discarded.
            long sum = IpOutput.pseudoHeaderSum(meta.srcHi, meta.srcLo, meta.dstHi, meta.dstLo, PROTOCOL, udpLen);
            if (Checksum.finish(Checksum.add(sum, p.buf(), p.start(), udpLen)) != 0) {
                drop(p, UdpCounter.DROP_BAD_CHECKSUM);
                return;
            }
        }
        int dport = hdr.dstPort();
        int sport = hdr.srcPort();
        UdpSocket s = lookup(dport, meta.dstHi, meta.dstLo, sport, meta.srcHi, meta.srcLo);
        if (s == null) {
            if (meta.dstBroadcastOrMulticast) {
                // RFC 1122 §4.1.3.1 / §3.2.2: no port unreachable for broadcast or multicast.
                drop(p, UdpCounter.DROP_NO_PORT_BROADCAST);
                return;
            }
            counters.inc(UdpCounter.DROP_NO_PORT);
            // RFC 1122 §4.1.3.1: SHOULD send ICMP Port Unreachable; RFC 4443 §3.1 code 4 for IPv6.
            ip.portUnreachable(p, meta.isV4());
            p.release();
            return;
        }
        p.l4 = p.start();
        p.pull(UdpHeader.HEADER_LEN);
        if (s.deliver(p, sport)) {
            counters.inc(UdpCounter.RX_DELIVERED);
        } else {
            counters.inc(UdpCounter.DROP_QUEUE_FULL);
        }
    }

    private void drop(PacketBuf p, UdpCounter why) {
        counters.inc(why);
        p.release();
    }

    /** The best socket for a datagram, or null (Linux's compute_score in spirit). */
    UdpSocket lookup(int lport, long lhi, long llo, int rport, long rhi, long rlo) {
        UdpSocket best = null;
        int bestScore = -1;
        boolean v4 = IpAddr.isV4Mapped(lhi, llo);
        for (UdpSocket s = ports[lport]; s != null; s = s.nextOnPort) {
            int score = 0;
            if (s.localSpecific) {
                if (s.localHi != lhi || s.localLo != llo) {
                    continue;
                }
                score += 4;
            } else if (s.v4Only && !v4) {
                continue;
            }
            if (s.connected) {
                if (s.remotePort != rport || s.remoteHi != rhi || s.remoteLo != rlo) {
                    continue;
                }
                score += 8;
            }
            if (score > bestScore) {
                best = s;
                bestScore = score;
            }
        }
        return best;
    }

    // ---- ICMP errors ----

    @Override
    public IcmpVerdict icmpError(int version, int type, int code, int info, ByteBuffer q, int qoff, int qlen, IpMeta meta) {
        counters.inc(UdpCounter.ICMP_ERROR_RX);
        long lhi;
        long llo;
        long rhi;
        long rlo;
        int u;
        if (version == 4) {
            int hl = (q.get(qoff) & 0x0f) * 4;
            u = qoff + hl;
            lhi = 0;
            llo = IpAddr.mappedLo(q.getInt(qoff + Ipv4Header.SRC));
            rhi = 0;
            rlo = IpAddr.mappedLo(q.getInt(qoff + Ipv4Header.DST));
        } else {
            u = Ipv6Header.upperLayerOffset(q, qoff, qlen, PROTOCOL);
            lhi = q.getLong(qoff + Ipv6Header.SRC);
            llo = q.getLong(qoff + Ipv6Header.SRC + 8);
            rhi = q.getLong(qoff + Ipv6Header.DST);
            rlo = q.getLong(qoff + Ipv6Header.DST + 8);
        }
        if (u < 0 || u + UdpHeader.HEADER_LEN > qoff + qlen) {
            counters.inc(UdpCounter.ICMP_ERROR_IGNORED);
            return IcmpVerdict.NO_FLOW;
        }
        int lport = q.getShort(u + UdpHeader.SRC_PORT) & 0xffff;
        int rport = q.getShort(u + UdpHeader.DST_PORT) & 0xffff;
        UdpSocket s = lookup(lport, lhi, llo, rport, rhi, rlo);
        IOException e = version == 4 ? hardErrorV4(type, code) : hardErrorV6(type, code);
        // Like Linux without IP_RECVERR: only hard errors, and only to connected sockets
        // (an unconnected socket cannot tell which peer failed). RFC 1122 §4.1.3.3.
        if (s == null || !s.connected || e == null) {
            counters.inc(UdpCounter.ICMP_ERROR_IGNORED);
        } else {
            counters.inc(UdpCounter.ICMP_ERROR_DELIVERED);
            s.error(e);
        }
        // RFC 8201 §4 asks that a PTB correspond to "an IPv6 packet actually sent by the
        // application"; UDP has no sequence numbers to check (RFC 8085 §5.2 leaves the rest to the
        // application), so, as Linux's udp error handler, it vouches for a quote when a socket
        // that could have sent it exists: bound to the quoted source address and port and, if
        // connected, to the quoted destination. A datagram from a port nobody holds was not ours.
        return s == null ? IcmpVerdict.NO_FLOW : IcmpVerdict.ACCEPTED;
    }

    private static IOException hardErrorV4(int type, int code) {
        if (type != Icmpv4.DEST_UNREACHABLE || code == Icmpv4.UNREACH_NEEDFRAG) {
            return null;
        }
        if (code == Icmpv4.UNREACH_PORT) {
            return new PortUnreachableException("ICMP port unreachable");
        }
        return new NoRouteToHostException("ICMP destination unreachable (code " + code + ")");
    }

    private static IOException hardErrorV6(int type, int code) {
        if (type == Icmpv6.DEST_UNREACHABLE) {
            if (code == Icmpv6.UNREACH_PORT) {
                return new PortUnreachableException("ICMPv6 port unreachable");
            }
            return new NoRouteToHostException("ICMPv6 destination unreachable (code " + code + ")");
        }
        if (type == Icmpv6.PARAMETER_PROBLEM) {
            return new ProtocolException("ICMPv6 parameter problem (code " + code + ")");
        }
        return null;
    }

    // ---- port table ----

    void bind(UdpSocket s, long hi, long lo, boolean specific, boolean v4Only, int port) throws IOException {
        if (port == 0) {
            port = ephemeral(hi, lo, specific, v4Only);
            if (port == 0) {
                throw new BindException("no free ephemeral UDP port");
            }
        } else if (conflicts(port, hi, lo, specific, v4Only)) {
            throw new BindException("UDP port " + port + " already in use");
        }
        s.localHi = hi;
        s.localLo = lo;
        s.localSpecific = specific;
        s.v4Only = v4Only;
        s.localPort = port;
        s.nextOnPort = ports[port];
        ports[port] = s;
        bound++;
    }

    void unbind(UdpSocket s) {
        int port = s.localPort;
        UdpSocket prev = null;
        for (UdpSocket x = ports[port]; x != null; prev = x, x = x.nextOnPort) {
            if (x == s) {
                if (prev == null) {
                    ports[port] = x.nextOnPort;
                } else {
                    prev.nextOnPort = x.nextOnPort;
                }
                x.nextOnPort = null;
                bound--;
                return;
            }
        }
    }

    private boolean conflicts(int port, long hi, long lo, boolean specific, boolean v4Only) {
        for (UdpSocket x = ports[port]; x != null; x = x.nextOnPort) {
            if (!specific || !x.localSpecific || (x.localHi == hi && x.localLo == lo)) {
                return true;
            }
        }
        return false;
    }

    /**
     * RFC 6056 §3.3.1 (Algorithm 1, simple port randomization): a random start in the
     * ephemeral range, then the next free port.
     */
    private int ephemeral(long hi, long lo, boolean specific, boolean v4Only) {
        int min = config.ephemeralPortLow;
        int n = config.ephemeralPortHigh - min + 1;
        int next = min + ThreadLocalRandom.current().nextInt(n);
        for (int i = 0; i < n; i++) {
            if (!conflicts(next, hi, lo, specific, v4Only)) {
                return next;
            }
            next = next == config.ephemeralPortHigh ? min : next + 1;
        }
        return 0;
    }
}

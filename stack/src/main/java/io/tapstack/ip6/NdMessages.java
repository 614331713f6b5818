package io.tapstack.ip6;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.Icmpv6;
import io.tapstack.wire.Ipv6Address;
import io.tapstack.wire.Ipv6Header;
import io.tapstack.wire.NdpOptions;

import java.nio.ByteBuffer;

import static io.tapstack.ip6.Ndp.ND_HOP_LIMIT;

/**
 * The Neighbor Discovery messages a host sends (RFC 4861 §4.1 Router Solicitation, §4.3 Neighbor
 * Solicitation, §4.4 Neighbor Advertisement), built in a pooled buffer with hop limit 255 and
 * the link-layer address option; multicast and NUD probes go straight to the link (the
 * destination MAC is known), the rest through {@link Ipv6#send}. A part of {@link Ndp}, used by
 * its resolution, router discovery and address configuration parts.
 */
final class NdMessages extends NdPart {
    NdMessages(Ndp nd) {
        super(nd);
    }

    /**
     * NS (RFC 4861 §4.3): target, and our SLLA unless the source is unspecified (§7.2.2,
     * RFC 4862 §5.4.2). {@code unicastMac} ≥ 0 sends straight to that MAC (NUD probe).
     */
    void sendNs(long tHi, long tLo, long sHi, long sLo, long dHi, long dLo, long unicastMac) {
        boolean withSlla = !Ipv6Address.isUnspecified(sHi, sLo);
        int len = 24 + (withSlla ? 8 : 0);
        PacketBuf p = ctx.allocate(len);
        if (p == null) {
            counters.inc(NdpCounter.DROP_NO_BUFFER);
            return;
        }
        int at = p.append(len);
        ByteBuffer b = p.buf();
        Icmpv6.emitHeader(b, at, Icmpv6.NEIGHBOR_SOLICITATION, 0, 0);
        b.putLong(at + 8, tHi);
        b.putLong(at + 16, tLo);
        if (withSlla) {
            NdpOptions.emitLla(b, at + 24, NdpOptions.SOURCE_LLA, link.mac());
        }
        counters.inc(NdpCounter.TX_NS);
        finishAndSend(p, at, len, sHi, sLo, dHi, dLo, unicastMac);
    }

    void sendUnsolicitedNa(LocalAddress a) {
        counters.inc(NdpCounter.TX_UNSOLICITED_NA);
        sendNa(a.hi(), a.lo(), Ipv6Address.ALL_NODES_HI, Ipv6Address.ALL_NODES_LO, false, -1);
    }

    /** NA (RFC 4861 §4.4, §7.2.4): R=0 for a host (1 for a forwarding router), S as given, O=1, with our TLLA. */
    void sendNa(long tHi, long tLo, long dHi, long dLo, boolean solicited, long dstMac) {
        if (ctx.isMirrored()) {
            return; // a copy shared by a sibling queue: the queue that received it answers
        }
        int len = 32;
        PacketBuf p = ctx.allocate(len);
        if (p == null) {
            counters.inc(NdpCounter.DROP_NO_BUFFER);
            return;
        }
        int at = p.append(len);
        ByteBuffer b = p.buf();
        boolean router = ipv6.router() != null && ipv6.router().forwarding();
        Icmpv6.emitHeader(b, at, Icmpv6.NEIGHBOR_ADVERTISEMENT, 0,
                (router ? 0x8000_0000 : 0) | (solicited ? 0x4000_0000 : 0) | 0x2000_0000);
        b.putLong(at + 8, tHi);
        b.putLong(at + 16, tLo);
        NdpOptions.emitLla(b, at + 24, NdpOptions.TARGET_LLA, link.mac());
        counters.inc(NdpCounter.TX_NA);
        finishAndSend(p, at, len, tHi, tLo, dHi, dLo, dstMac);
    }

    /** RS (RFC 4861 §4.1, §6.3.7) to all-routers, with our SLLA when the source is not ::. */
    void sendRs() {
        LocalAddress ll = ipv6.linkLocal();
        long sHi = ll == null ? 0 : ll.hi();
        long sLo = ll == null ? 0 : ll.lo();
        int len = 8 + (ll == null ? 0 : 8);
        PacketBuf p = ctx.allocate(len);
        if (p == null) {
            counters.inc(NdpCounter.DROP_NO_BUFFER);
            return;
        }
        int at = p.append(len);
        Icmpv6.emitHeader(p.buf(), at, Icmpv6.ROUTER_SOLICITATION, 0, 0);
        if (ll != null) {
            NdpOptions.emitLla(p.buf(), at + 8, NdpOptions.SOURCE_LLA, link.mac());
        }
        counters.inc(NdpCounter.TX_RS);
        finishAndSend(p, at, len, sHi, sLo, Ipv6Address.ALL_ROUTERS_HI, Ipv6Address.ALL_ROUTERS_LO, -1);
    }

    private void finishAndSend(PacketBuf p, int at, int len, long sHi, long sLo, long dHi, long dLo, long dstMac) {
        Icmpv6.fillChecksum(p.buf(), at, len, Checksum.pseudoV6(sHi, sLo, dHi, dLo, Ipv6Header.NH_ICMPV6, len));
        if (dstMac >= 0 || Ipv6Address.isMulticast(dHi)) {
            int h = p.push(Ipv6Header.LENGTH);
            p.l3 = h;
            Ipv6Header.emit(p.buf(), h, 0, 0, len, Ipv6Header.NH_ICMPV6, ND_HOP_LIMIT, sHi, sLo, dHi, dLo);
            ipv6.counters().inc(io.tapstack.ip6.Ipv6Counter.TX);
            link.transmitFrame(p, dstMac >= 0 ? dstMac : Ipv6Address.multicastMac(dLo), EthernetFrame.TYPE_IPV6);
            return;
        }
        ipv6.send(p, sHi, sLo, dHi, dLo, Ipv6Header.NH_ICMPV6, ND_HOP_LIMIT, 0);
    }
}

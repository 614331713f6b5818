package io.tapstack.ip;

import io.tapstack.buffer.PacketBuf;

/** A transport protocol (TCP, UDP, ICMP) attached to the network layer. */
public interface IpProtocolHandler {
    /**
     * Delivers a packet whose window is the transport header and payload (already trimmed to the
     * IP payload length). {@code pkt.l3} and {@code pkt.l4} are set. The handler owns the buffer
     * and must release it (or keep it).
     */
    void input(PacketBuf pkt, IpMeta meta);

    /**
     * An ICMP/ICMPv6 error about a packet we sent (RFC 1122 §3.2.2.1, RFC 4443 §2.4).
     * {@code quoted} holds the original IP header starting at {@code quotedOff} with
     * {@code quotedLen} bytes (at least the IP header + 8 bytes). {@code info} carries the
     * next-hop MTU for "fragmentation needed"/"packet too big". The buffer belongs to the caller.
     *
     * @return whether the quote matches traffic this transport sent; the network layer changes
     *     shared state (the IPv6 path MTU cache) only for {@link IcmpVerdict#ACCEPTED}
     */
    default IcmpVerdict icmpError(int version, int type, int code, int info,
                                  java.nio.ByteBuffer quoted, int quotedOff, int quotedLen, IpMeta meta) {
        return IcmpVerdict.UNSUPPORTED;
    }
}

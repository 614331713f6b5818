package io.tapstack.context;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.IpAddr;

/**
 * The network layer as transports (UDP, TCP) see it, for both families. Addresses are in the
 * two-long form of {@link IpAddr} (IPv4 held IPv4-mapped), so a transport has one code path.
 * Loop thread only.
 */
public interface IpOutput {
    /**
     * Sends a transport packet to {@code dst} (IPv4-mapped addresses go out over IPv4).
     * {@code src} may be the unspecified address to let routing choose. Takes ownership of
     * {@code p}, whose window is the transport header and payload. Returns false when it could
     * not be sent (no route, too big, no buffer).
     *
     * @param ttl TTL or hop limit, 0 for the default
     * @param df IPv4 Don't Fragment (path MTU discovery, RFC 1191)
     */
    boolean ipOutput(PacketBuf p, long srcHi, long srcLo, long dstHi, long dstLo,
                     int protocol, int ttl, int tos, boolean df);

    /** The source address this host uses towards {@code dst}, or null without a route. */
    IpAddr sourceFor(IpAddr dst);

    /** Whether {@code hi:lo} is one of this host's addresses. */
    boolean isLocalAddress(long hi, long lo);

    /** The MTU towards {@code dst} (the link MTU until path-MTU discovery lowers it). */
    int pathMtu(long dstHi, long dstLo);

    /** Bytes of IP header in front of a transport segment towards {@code dst} (no options). */
    int ipHeaderLength(long dstHi, long dstLo);

    /**
     * Largest TCP payload a transport may hand down as one TSO segment towards {@code dst}, or
     * 0 when the device cannot segment for that family.
     */
    int maxGsoPayload(long dstHi, long dstLo);

    /**
     * Answers a datagram that no socket wants with ICMP Port Unreachable (RFC 1122 §4.1.3.1) or
     * ICMPv6 Destination Unreachable, code 4 (RFC 4443 §3.1), under the ICMP rules and rate
     * limit. {@code p} (window or {@code l3} at its IP header) still belongs to the caller.
     */
    void portUnreachable(PacketBuf p, boolean v4);

    /** The pseudo-header sum for a transport checksum (RFC 793 §3.1, RFC 8200 §8.1). */
    static long pseudoHeaderSum(long srcHi, long srcLo, long dstHi, long dstLo, int protocol, int length) {
        if (IpAddr.isV4Mapped(dstHi, dstLo)) {
            return Checksum.pseudoV4((int) srcLo, (int) dstLo, protocol, length);
        }
        return Checksum.pseudoV6(srcHi, srcLo, dstHi, dstLo, protocol, length);
    }
}

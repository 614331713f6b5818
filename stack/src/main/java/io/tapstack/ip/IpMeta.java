package io.tapstack.ip;

/**
 * Facts about the IP packet being delivered to a transport, filled by the network layer and
 * reused for every packet (no allocation). Addresses are in the two-long form of
 * {@link io.tapstack.wire.IpAddr} (IPv4 held IPv4-mapped).
 */
public final class IpMeta {
    /** 4 or 6. */
    public int version;
    public long srcHi;
    public long srcLo;
    public long dstHi;
    public long dstLo;
    /** TTL or hop limit. */
    public int ttl;
    /** IPv4 TOS / IPv6 traffic class. */
    public int tos;
    /** Offset of the IP header in the packet's buffer. */
    public int l3;
    /** Destination was a broadcast or multicast address. */
    public boolean dstBroadcastOrMulticast;
    /** The device already validated the transport checksum (virtio DATA_VALID). */
    public boolean checksumValid;

    public boolean isV4() {
        return version == 4;
    }

    public int src4() {
        return (int) srcLo;
    }

    public int dst4() {
        return (int) dstLo;
    }
}

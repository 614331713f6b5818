package io.tapstack.link;

/**
 * Offload features of a link, as negotiated with the device (virtio-net header semantics).
 *
 * @param txChecksum the device finishes partial TCP/UDP checksums we send (NEEDS_CSUM)
 * @param rxChecksum the device may hand us partial checksums / DATA_VALID
 * @param tso4 the device segments large TCP/IPv4 frames we send (GSO TCPV4)
 * @param tso6 the device segments large TCP/IPv6 frames we send (GSO TCPV6)
 * @param lro the device may hand us large coalesced TCP frames
 */
public record Offloads(boolean txChecksum, boolean rxChecksum, boolean tso4, boolean tso6, boolean lro) {
    public static final Offloads NONE = new Offloads(false, false, false, false, false);
}

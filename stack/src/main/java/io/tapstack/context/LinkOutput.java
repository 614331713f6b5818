package io.tapstack.context;

import io.tapstack.buffer.PacketBuf;

/** The Ethernet link as the layers above it see it (ARP, IPv4, IPv6, Neighbor Discovery). */
public interface LinkOutput {
    /**
     * Sends an Ethernet frame to {@code dstMac}: pushes the Ethernet header (and whatever the
     * device needs: virtio-net header, software GSO, checksums) and hands it to the link. Takes
     * ownership of {@code p}, whose window is the L3 packet.
     */
    void transmitFrame(PacketBuf p, long dstMac, int etherType);

    /** This host's MAC as 48 bits. */
    long mac();

    /** The L3 MTU of the link. */
    int mtu();

    /** The interface's name (RFC 7217's Net_Iface, for stable interface identifiers). */
    String interfaceName();
}

package io.tapstack.context;

import io.tapstack.buffer.PacketBuf;

/** IPv4's way to the link: resolve the next hop's MAC (ARP) and send, or queue until resolved. */
@FunctionalInterface
public interface NeighbourOutput {
    /**
     * Sends an IPv4 packet to the neighbour {@code nextHop}, resolving its MAC first if needed
     * (the packet waits in a bounded queue meanwhile). Takes ownership of {@code p}, whose window
     * is the IPv4 packet.
     */
    void output(PacketBuf p, int nextHop);
}

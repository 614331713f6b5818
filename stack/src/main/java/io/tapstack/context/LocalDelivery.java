package io.tapstack.context;

import io.tapstack.buffer.PacketBuf;

/**
 * Where the network layer hands a datagram that this host addresses to itself: one of its own
 * addresses, or a loopback address (127.0.0.0/8, ::1). Such a datagram never reaches the link;
 * a host delivers it internally (RFC 1122 §3.3.6, and §3.2.1.3 (g): loopback addresses never
 * appear on a wire).
 *
 * <p>The implementation queues the datagram (bounded) and delivers it on a later pass of the
 * same loop, never from inside the output call, so a transport is not re-entered while it
 * sends. Loop thread only.
 */
@FunctionalInterface
public interface LocalDelivery {
    /**
     * Takes ownership of {@code p}, whose window is the complete IP datagram (header onward,
     * {@code l3} set). Returns false when it was dropped (queue full).
     */
    boolean deliverLocal(PacketBuf p);
}

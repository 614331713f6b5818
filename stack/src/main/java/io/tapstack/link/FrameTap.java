package io.tapstack.link;

import java.nio.ByteBuffer;

/**
 * Sees every Ethernet frame at the link boundary (after the virtio-net header is removed on
 * receive, before it is added on transmit). Called on the loop thread; must not block.
 */
public interface FrameTap {
    void frame(ByteBuffer buf, int off, int len, long wallNanos, boolean outbound);
}

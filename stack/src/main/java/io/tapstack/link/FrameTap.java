package io.tapstack.link;

import java.nio.ByteBuffer;

/**
 * Sees every Ethernet frame at the link boundary (after the virtio-net header is removed on
 * receive, before it is added on transmit). Called on the loop thread; must not block, and must
 * copy what it keeps: the buffer is reused once {@code frame} returns. This is the stack's only
 * view for packet capture (the {@code capture} module's sessions implement it); attach with
 * {@code NetStack.addFrameTap}.
 */
public interface FrameTap {
    /**
     * One frame: {@code len} bytes of {@code buf} from absolute index {@code off}.
     *
     * @param wallNanos wall-clock nanoseconds since the Unix epoch, from the loop's clock
     * @param outbound  true if the stack sends the frame, false if it received it
     */
    void frame(ByteBuffer buf, int off, int len, long wallNanos, boolean outbound);
}

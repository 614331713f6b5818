package io.tapstack.link;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.buffer.PacketPool;
import io.tapstack.wire.MacAddress;

/**
 * The device SPI: what the stack needs from a link (a TAP, an in-memory wire, a loopback).
 *
 * <p>All methods except {@link #wakeup()} are called on the owning event loop's thread.
 * Frames are Ethernet frames without FCS; when {@link #vnetHeader()} is true they are
 * preceded by a virtio-net header, which the stack reads and writes itself.
 */
public interface Link extends AutoCloseable {
    String name();

    /** Largest IP packet (L3 MTU), e.g. 1500. */
    int mtu();

    /**
     * The link's own hardware address, or {@code null} when the stack should choose one
     * (a TAP's kernel side has its own MAC; the stack is another host on that wire).
     */
    default MacAddress hardwareAddress() {
        return null;
    }

    /** Called once by the stack that owns this link, with the pool of its event loop. */
    default void attach(PacketPool pool) {
    }

    /** Offloads this link offers; see {@link Offloads}. */
    default Offloads offloads() {
        return Offloads.NONE;
    }

    /** Whether frames carry a virtio-net header in front of the Ethernet header. */
    default boolean vnetHeader() {
        return false;
    }

    /**
     * Reads up to {@code max} frames without blocking into buffers from {@code pool}, with the
     * window set to the frame (and the virtio-net header, if any). Returns the count read.
     */
    int receive(PacketPool pool, PacketBuf[] out, int max);

    /**
     * Sends one frame. The link takes ownership of the buffer and releases it (now or after a
     * later flush). Returns false if the frame was dropped (queue full, device error).
     */
    boolean transmit(PacketBuf frame);

    /** Pushes out frames batched by {@link #transmit}. */
    default void flush() {
    }

    /**
     * Work the link itself has to do at a time (a delayed frame on a faulty link): the next
     * deadline in loop-clock nanoseconds, or Long.MAX_VALUE.
     */
    default long nextDeadline() {
        return Long.MAX_VALUE;
    }

    /**
     * Blocks until a frame may be readable, {@link #wakeup()} is called, or the timeout
     * (nanoseconds; 0 = do not block) passes.
     */
    void await(long timeoutNanos);

    /**
     * Asks this link's {@link #await} to return also when {@code other} may have a frame, so one
     * event loop can serve several links (a router's interfaces). Returns false when it cannot
     * (then the loop must not sleep long on this link alone). Called before the loop starts.
     */
    default boolean awaitsAlso(Link other) {
        return false;
    }

    /** Makes a blocked {@link #await} return; callable from any thread. */
    void wakeup();

    @Override
    void close();
}

package io.tapstack.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.AbstractEventExecutorGroup;
import io.netty.util.concurrent.DefaultPromise;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.Promise;
import io.tapstack.NetStack;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Netty {@link EventLoopGroup} whose loops are tapstack's event loops, one per stack (one per
 * TAP queue). Use it as both groups of a {@code ServerBootstrap} and as a {@code Bootstrap}'s
 * group, with {@link TapstackServerSocketChannel}, {@link TapstackSocketChannel} and
 * {@link TapstackDatagramChannel}.
 *
 * <p>An accepted connection lives on the loop of the stack that accepted it (the kernel steers a
 * flow to one TAP queue), so {@link #register(Channel)} puts such a channel on that loop rather
 * than on the next one in turn: its I/O never changes threads.
 */
public final class TapstackEventLoopGroup extends AbstractEventExecutorGroup implements EventLoopGroup {
    private final List<TapstackEventLoop> loops;
    private final AtomicInteger next = new AtomicInteger();
    private final Promise<Void> terminationFuture = new DefaultPromise<>(GlobalEventExecutor.INSTANCE);

    /**
     * A group over running tapstack loops.
     *
     * @param owns whether shutting the group down also stops the loops
     */
    public TapstackEventLoopGroup(List<io.tapstack.EventLoop> tapstackLoops, boolean owns) {
        if (tapstackLoops.isEmpty()) {
            throw new IllegalArgumentException("no event loop");
        }
        List<TapstackEventLoop> l = new ArrayList<>();
        for (io.tapstack.EventLoop x : tapstackLoops) {
            l.add(new TapstackEventLoop(this, x, owns));
        }
        this.loops = Collections.unmodifiableList(l);
        AtomicInteger left = new AtomicInteger(l.size());
        for (TapstackEventLoop x : l) {
            x.terminationFuture().addListener(f -> {
                if (left.decrementAndGet() == 0) {
                    terminationFuture.trySuccess(null);
                }
            });
        }
    }

    /** A group over running tapstack loops that the caller keeps (shutting the group down leaves them running). */
    public TapstackEventLoopGroup(io.tapstack.EventLoop... tapstackLoops) {
        this(List.of(tapstackLoops), false);
    }

    /** The loops, one per stack. */
    public List<TapstackEventLoop> loops() {
        return loops;
    }

    /** The loop that serves {@code stack}, or null if none of this group does. */
    public TapstackEventLoop loopOf(NetStack stack) {
        for (TapstackEventLoop l : loops) {
            if (l.stack() == stack) {
                return l;
            }
        }
        return null;
    }

    @Override
    public EventLoop next() {
        return loops.get(Math.floorMod(next.getAndIncrement(), loops.size()));
    }

    @Override
    @SuppressWarnings("unchecked")
    public Iterator<EventExecutor> iterator() {
        return (Iterator<EventExecutor>) (Iterator<?>) loops.iterator();
    }

    /** The loop a channel must live on: the owner of its connection if it has one, else the next. */
    private EventLoop loopFor(Channel channel) {
        if (channel instanceof AbstractTapstackChannel t && t.pinnedStack() != null) {
            TapstackEventLoop l = loopOf(t.pinnedStack());
            if (l != null) {
                return l;
            }
        }
        return next();
    }

    @Override
    public ChannelFuture register(Channel channel) {
        return loopFor(channel).register(channel);
    }

    @Override
    public ChannelFuture register(ChannelPromise promise) {
        return loopFor(promise.channel()).register(promise);
    }

    @Deprecated
    @Override
    public ChannelFuture register(Channel channel, ChannelPromise promise) {
        return loopFor(channel).register(promise);
    }

    @Override
    public boolean isShuttingDown() {
        for (TapstackEventLoop l : loops) {
            if (!l.isShuttingDown()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public Future<?> shutdownGracefully(long quietPeriod, long timeout, TimeUnit unit) {
        for (TapstackEventLoop l : loops) {
            l.shutdownGracefully(quietPeriod, timeout, unit);
        }
        return terminationFuture;
    }

    @Override
    public Future<?> terminationFuture() {
        return terminationFuture;
    }

    @Deprecated
    @Override
    public void shutdown() {
        shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }

    @Override
    public boolean isShutdown() {
        for (TapstackEventLoop l : loops) {
            if (!l.isShutdown()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean isTerminated() {
        for (TapstackEventLoop l : loops) {
            if (!l.isTerminated()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return terminationFuture.await(timeout, unit);
    }
}

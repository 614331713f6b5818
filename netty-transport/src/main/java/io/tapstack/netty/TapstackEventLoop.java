package io.tapstack.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.AbstractScheduledEventExecutor;
import io.netty.util.concurrent.DefaultPromise;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import io.tapstack.NetStack;
import io.tapstack.loop.Timer;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A Netty {@link EventLoop} that is a tapstack {@link io.tapstack.EventLoop}: Netty's tasks run
 * as commands of the stack's loop, its scheduled tasks on the stack's timer wheel, and every
 * channel registered here does its I/O on that loop's thread, where the stack delivers the
 * segments of its connections. Nothing is handed to another thread.
 */
public final class TapstackEventLoop extends AbstractScheduledEventExecutor implements EventLoop {
    private static final System.Logger LOG = System.getLogger("io.tapstack.netty");
    private static final int ST_RUNNING = 0;
    private static final int ST_SHUTTING_DOWN = 1;
    private static final int ST_TERMINATED = 2;

    private final TapstackEventLoopGroup parent;
    private final io.tapstack.EventLoop loop;
    private final boolean ownsLoop;
    private final Thread thread;
    private final Timer scheduledTimer;
    private final Promise<Void> terminationFuture = new DefaultPromise<>(GlobalEventExecutor.INSTANCE);
    /** Channels registered here (loop thread only), closed on shutdown as Netty's loops do. */
    private final Set<AbstractTapstackChannel> channels = new HashSet<>();
    private volatile int state = ST_RUNNING;

    TapstackEventLoop(TapstackEventLoopGroup parent, io.tapstack.EventLoop loop, boolean ownsLoop) {
        super(parent);
        this.parent = parent;
        this.loop = loop;
        this.ownsLoop = ownsLoop;
        try {
            this.thread = loop.call(Thread::currentThread).get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while joining the event loop", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the tapstack event loop does not run", e);
        }
        this.scheduledTimer = new Timer(now -> runScheduled());
    }

    /** The tapstack loop underneath. */
    public io.tapstack.EventLoop tapstackLoop() {
        return loop;
    }

    /** The stack whose connections this loop serves. */
    public NetStack stack() {
        return loop.stack();
    }

    @Override
    public EventLoopGroup parent() {
        return parent;
    }

    @Override
    public EventLoop next() {
        return this;
    }

    @Override
    public boolean inEventLoop(Thread t) {
        return t == thread;
    }

    @Override
    public void execute(Runnable task) {
        if (state == ST_TERMINATED) {
            throw new RejectedExecutionException("event loop terminated");
        }
        try {
            loop.execute(task);
        } catch (IllegalStateException e) {
            throw new RejectedExecutionException("tapstack event loop is not running", e);
        }
    }

    // ------------------------------------------------------------ scheduled tasks on the wheel

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        ScheduledFuture<?> f = super.schedule(command, delay, unit);
        armLater();
        return f;
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
        ScheduledFuture<V> f = super.schedule(callable, delay, unit);
        armLater();
        return f;
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
        ScheduledFuture<?> f = super.scheduleAtFixedRate(command, initialDelay, period, unit);
        armLater();
        return f;
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
        ScheduledFuture<?> f = super.scheduleWithFixedDelay(command, initialDelay, delay, unit);
        armLater();
        return f;
    }

    /** Arms the wheel for the earliest task; from another thread after the task has been queued. */
    private void armLater() {
        if (inEventLoop()) {
            arm();
        } else if (state != ST_TERMINATED) {
            try {
                loop.execute(this::arm);
            } catch (IllegalStateException ignored) {
                // the loop is gone: nothing will run anyway
            }
        }
    }

    private void arm() {
        long delay = nextScheduledTaskNano();
        if (delay < 0) {
            return; // no task
        }
        long deadline = loop.stack().clock().nanos() + delay;
        if (!scheduledTimer.isScheduled() || scheduledTimer.deadline() > deadline) {
            loop.stack().timers().schedule(scheduledTimer, deadline);
        }
    }

    private void runScheduled() {
        long now = getCurrentTimeNanos();
        Runnable r;
        int n = 0;
        while (n++ < 4096 && (r = pollScheduledTask(now)) != null) {
            try {
                r.run();
            } catch (Throwable t) {
                LOG.log(System.Logger.Level.WARNING, "a scheduled task threw", t);
            }
        }
        arm();
    }

    // ------------------------------------------------------------ channels

    @Override
    public ChannelFuture register(Channel channel) {
        return register(new DefaultChannelPromise(channel, this));
    }

    @Override
    public ChannelFuture register(ChannelPromise promise) {
        promise.channel().unsafe().register(this, promise);
        return promise;
    }

    @Deprecated
    @Override
    public ChannelFuture register(Channel channel, ChannelPromise promise) {
        channel.unsafe().register(this, promise);
        return promise;
    }

    void added(AbstractTapstackChannel c) {
        channels.add(c);
    }

    void removed(AbstractTapstackChannel c) {
        channels.remove(c);
    }

    // ------------------------------------------------------------ life cycle

    @Override
    public boolean isShuttingDown() {
        return state >= ST_SHUTTING_DOWN;
    }

    @Override
    public Future<?> shutdownGracefully(long quietPeriod, long timeout, TimeUnit unit) {
        if (state != ST_RUNNING) {
            return terminationFuture;
        }
        state = ST_SHUTTING_DOWN;
        try {
            loop.execute(this::closeAllAndTerminate);
        } catch (IllegalStateException notRunning) {
            terminate();
        }
        return terminationFuture;
    }

    private void closeAllAndTerminate() {
        for (AbstractTapstackChannel c : new ArrayList<>(channels)) {
            c.unsafe().close(c.unsafe().voidPromise());
        }
        cancelScheduledTasks();
        loop.stack().timers().cancel(scheduledTimer);
        // let the closes' last segments and listeners run before the loop stops
        loop.execute(() -> loop.execute(this::terminate));
    }

    private void terminate() {
        state = ST_TERMINATED;
        if (ownsLoop) {
            // close() waits for the loop thread: never from that thread itself
            Thread t = new Thread(() -> {
                loop.close();
                terminationFuture.trySuccess(null);
            }, "tapstack-loop-close");
            t.setDaemon(true);
            t.start();
        } else {
            terminationFuture.trySuccess(null);
        }
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
        return state >= ST_SHUTTING_DOWN;
    }

    @Override
    public boolean isTerminated() {
        return state == ST_TERMINATED && terminationFuture.isDone();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return terminationFuture.await(timeout, unit);
    }

    List<AbstractTapstackChannel> channelsForTest() {
        return new ArrayList<>(channels);
    }

    @Override
    public String toString() {
        return "TapstackEventLoop(" + thread.getName() + ")";
    }
}

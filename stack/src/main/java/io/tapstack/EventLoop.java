package io.tapstack;

import io.tapstack.link.LinkCounter;
import io.tapstack.loop.Clock;
import io.tapstack.loop.IdlePolicy;
import io.tapstack.stats.Counters;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Runs one {@link NetStack} on one thread, Aeron duty-cycle style. One pass: drain the command
 * queue (bounded) → poll the stack (receive burst, timers, flush) → wait on the link until a
 * frame, a wakeup or the next deadline. Time is read once per pass. When it is idle, an
 * {@link IdlePolicy} decides between spinning and sleeping (by default: a short spin after work,
 * and a spin across the window where a regular arrival is next expected, so that a ping or a
 * request that comes every few milliseconds or seconds finds the loop awake).
 *
 * <p>Other threads talk to the stack only through {@link #execute} / {@link #call}, which
 * queue a command and wake the loop.
 */
public final class EventLoop implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.tapstack");
    private static final int COMMANDS_PER_PASS = 256;
    /** Longest sleep when nothing is scheduled, so a missed wakeup costs at most this. */
    private static final long MAX_SLEEP_NANOS = 100_000_000L;

    private final NetStack stack;
    /** Every stack this loop runs: one, or a router's interfaces (the first is {@link #stack}). */
    private final NetStack[] stacks;
    /** Longest sleep: short when the first link cannot also wait for the others' frames. */
    private final long maxSleepNanos;
    private final Clock clock;
    private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean running;
    private volatile Throwable failure;
    private final IdlePolicy idle;
    private long passes;

    /** A loop that sleeps whenever it is idle ({@code IdlePolicy.spinOnly(0)}). */
    public EventLoop(NetStack stack, String name) {
        this(stack, name, IdlePolicy.spinOnly(0));
    }

    /**
     * @param busyPollNanos how long to spin (re-polling without sleeping) after the last work
     *     before blocking in the kernel (0 = never spin)
     */
    public EventLoop(NetStack stack, String name, long busyPollNanos) {
        this(stack, name, IdlePolicy.spinOnly(busyPollNanos));
    }

    public EventLoop(NetStack stack, String name, IdlePolicy idle) {
        this(java.util.List.of(stack), idle, r -> new Thread(r, name));
    }

    /**
     * A loop whose thread comes from {@code threads} (made a daemon here): an embedding
     * framework gets its own thread type, e.g. Netty's {@code FastThreadLocalThread}, whose
     * thread-local buffer caches and object pools only such threads use.
     */
    public EventLoop(NetStack stack, IdlePolicy idle, java.util.concurrent.ThreadFactory threads) {
        this(java.util.List.of(stack), idle, threads);
    }

    /**
     * One loop for several stacks on one clock (a {@link Router}'s interfaces): each pass polls
     * them all, and the first link's {@code await} also watches the others' (see
     * {@link io.tapstack.link.Link#awaitsAlso}); where it cannot, the loop sleeps at most 1 ms.
     */
    public EventLoop(java.util.List<NetStack> all, String name, IdlePolicy idle) {
        this(all, idle, r -> new Thread(r, name));
    }

    private EventLoop(java.util.List<NetStack> all, IdlePolicy idle, java.util.concurrent.ThreadFactory threads) {
        this.stacks = all.toArray(new NetStack[0]);
        this.stack = stacks[0];
        boolean watchesAll = true;
        for (int i = 1; i < stacks.length; i++) {
            watchesAll &= stack.link().awaitsAlso(stacks[i].link());
        }
        this.maxSleepNanos = watchesAll ? MAX_SLEEP_NANOS : 1_000_000L;
        this.clock = stack.clock();
        this.idle = idle;
        this.thread = threads.newThread(this::run);
        this.thread.setDaemon(true);
    }

    public NetStack stack() {
        return stack;
    }

    public void start() {
        running = true;
        thread.start();
    }

    public boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /** Runs {@code r} on the loop thread (soon, in order). */
    public void execute(Runnable r) {
        if (!running) {
            throw new IllegalStateException("event loop is not running");
        }
        commands.add(r);
        if (Thread.currentThread() != thread) {
            // from the loop itself no wake-up is needed: the loop looks at the queue before it sleeps
            stack.link().wakeup();
        }
    }

    /** Runs {@code s} on the loop and returns its result to the calling thread. */
    public <T> CompletableFuture<T> call(Supplier<T> s) {
        CompletableFuture<T> f = new CompletableFuture<>();
        if (inLoop()) {
            try {
                f.complete(s.get());
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
            return f;
        }
        execute(() -> {
            try {
                f.complete(s.get());
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    private void run() {
        lastWork = clock.nanos();
        try {
            // The loop's body is its own method: a long-running loop in one method is compiled only
            // by on-stack replacement after tens of thousands of iterations, so a host that mostly
            // sleeps (ten passes a second) would run its pass in the interpreter for hours; a
            // method is compiled after a few hundred calls.
            while (running) {
                pass();
            }
        } catch (Throwable t) {
            failure = t;
            LOG.log(System.Logger.Level.ERROR, "event loop " + Thread.currentThread().getName() + " died", t);
        } finally {
            // a dead loop refuses new commands rather than queueing ones that never run
            running = false;
            stopped.countDown();
        }
    }

    /** The end of the last pass that did work (frames or commands). */
    private long lastWork;

    /** One pass: commands, the stacks' poll, then spin or sleep as the idle policy says. */
    private void pass() {
        passes++;
        int did = 0;
        Runnable c = commands.poll();
        if (c != null) {
            // what a command sends is stamped (and its retransmission timer started,
            // RFC 6298 §5.1) now, not at the last pass before the loop slept; read after
            // the command is taken, so one queued just after a timed wake-up is not missed
            stack.advanceTime(clock.nanos());
        }
        while (c != null) {
            try {
                c.run();
            } catch (RuntimeException e) {
                // a command's bug must not take the host down (NetStack treats protocol bugs alike)
                commandFailed(e);
            }
            did++;
            c = did < COMMANDS_PER_PASS ? commands.poll() : null;
        }
        long now = clock.nanos();
        long rxBefore = rxFrames();
        long deadline = Long.MAX_VALUE;
        for (NetStack s : stacks) {
            deadline = Math.min(deadline, s.poll(now));
        }
        boolean worked = did > 0 || rxFrames() != rxBefore;
        if (worked) {
            idle.onWork(now, true);
            // the spin after work counts from the end of the work, not from the pass's start: a
            // poll that took longer than the spin (a burst of segments, a slow shared CPU) would
            // otherwise leave no spin at all for the reply's ACK or the next request
            lastWork = clock.nanos();
            return;
        }
        if (!commands.isEmpty()) {
            return;
        }
        long t = clock.nanos();
        long untilDeadline = deadline == Long.MAX_VALUE ? maxSleepNanos : Math.max(0, deadline - t);
        long sleep = idle.sleepNanos(t, lastWork, Math.min(untilDeadline, maxSleepNanos));
        if (sleep == 0 && untilDeadline > 0) {
            Thread.onSpinWait();
            return;
        }
        stack.link().await(sleep);
        idle.onWake(sleep, clock.nanos() - t);
    }

    private long rxFrames() {
        long n = 0;
        for (NetStack s : stacks) {
            n += s.linkStats().get(LinkCounter.RX_FRAMES);
        }
        return n;
    }

    private void commandFailed(RuntimeException e) {
        Counters<LinkCounter> c = stack.linkStats();
        if (c.get(LinkCounter.INTERNAL_ERROR) == 0) {
            LOG.log(System.Logger.Level.ERROR, "a command on the event loop threw (further ones only counted)", e);
        }
        c.inc(LinkCounter.INTERNAL_ERROR);
    }

    /** When the last pass that did work ended (the loop's clock); call on the loop thread. */
    long lastWorkNanos() {
        return lastWork;
    }

    /** The error that ended the loop, if any. */
    public Throwable failure() {
        return failure;
    }

    public long passes() {
        return passes;
    }

    /**
     * The idle policy's counters ({@link IdlePolicy#COUNTER_NAMES}: how arrivals found the loop,
     * how late its timed wake-ups were). Call on the loop thread, e.g. through {@link #call}.
     */
    public long[] idleCounters() {
        return idle.counters();
    }

    /**
     * Bytes the loop thread has allocated on the Java heap since it started (HotSpot's
     * per-thread allocation counter), or -1 where the JVM cannot tell. Divided by the bytes
     * moved, it shows whether the data path allocates per packet.
     */
    public long allocatedBytes() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        if (mx instanceof com.sun.management.ThreadMXBean sun && thread.isAlive()) {
            return sun.getThreadAllocatedBytes(thread.getId());
        }
        return -1;
    }

    /** Stops the loop and waits (bounded) for it to finish. */
    @Override
    public void close() {
        running = false;
        if (thread.getState() == Thread.State.NEW) {
            return; // never started: nothing to wait for
        }
        stack.link().wakeup();
        try {
            if (!stopped.await(5, TimeUnit.SECONDS) && thread.isAlive()) {
                thread.interrupt();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

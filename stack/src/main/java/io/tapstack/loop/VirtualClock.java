package io.tapstack.loop;

/** A clock that moves only when a test says so. */
public final class VirtualClock implements Clock {
    private long now;

    public VirtualClock() {
        this(1_000_000_000L);
    }

    public VirtualClock(long start) {
        this.now = start;
    }

    @Override
    public long nanos() {
        return now;
    }

    @Override
    public long wallNanos() {
        return 1_700_000_000_000_000_000L + now;
    }

    public void advance(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("time runs forward");
        }
        now += nanos;
    }

    public void set(long nanos) {
        if (nanos < now) {
            throw new IllegalArgumentException("time runs forward");
        }
        now = nanos;
    }
}

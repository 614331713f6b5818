package io.tapstack.loop;

/**
 * A reusable timer: allocate one per purpose (e.g. per connection and timer kind) and
 * schedule it as often as needed; scheduling never allocates.
 */
public final class Timer {
    /** Called on the loop thread when the timer fires. */
    @FunctionalInterface
    public interface Task {
        void onTimer(long now);

        /** What the wheel calls: {@code timer} is the one that fired. */
        default void onTimer(Timer timer, long now) {
            onTimer(now);
        }
    }

    /**
     * One task for several timers of one owner, told which fired: the owner is the task of each
     * of its timers, so they need no lambda object apiece (a TCP connection's timers, issue 11).
     */
    public interface Dispatch extends Task {
        @Override
        void onTimer(Timer timer, long now);

        /** Never called by the wheel, which always says which timer fired. */
        @Override
        default void onTimer(long now) {
            throw new UnsupportedOperationException("a Dispatch task is told which timer fired");
        }
    }

    final Task task;
    long deadline;
    Timer prev;
    Timer next;
    int slot = -1;

    public Timer(Task task) {
        this.task = task;
    }

    public boolean isScheduled() {
        return slot >= 0;
    }

    /** Absolute deadline in the loop clock's nanoseconds (meaningful while scheduled). */
    public long deadline() {
        return deadline;
    }
}

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

package io.tapstack.loop;

/**
 * The loop's source of time. Protocol code never reads the system clock itself: the loop
 * reads it once per pass and passes {@code now} down, so tests can run a stack on virtual time.
 */
public interface Clock {
    /** Monotonic nanoseconds (arbitrary origin). */
    long nanos();

    /** Wall-clock nanoseconds since the Unix epoch, for capture timestamps. */
    long wallNanos();

    /** The system clock. */
    Clock SYSTEM = new Clock() {
        private final long wallOrigin = System.currentTimeMillis() * 1_000_000L;
        private final long monoOrigin = System.nanoTime();

        @Override
        public long nanos() {
            return System.nanoTime();
        }

        @Override
        public long wallNanos() {
            return wallOrigin + (System.nanoTime() - monoOrigin);
        }
    };
}

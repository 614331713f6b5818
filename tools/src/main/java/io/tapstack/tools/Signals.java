package io.tapstack.tools;

import sun.misc.Signal;

/**
 * SIGINT/SIGTERM as an orderly stop: the handler only signals the main thread, which shuts the
 * host down and exits 0 (a JVM shutdown hook would leave the exit status at 128+signal).
 */
final class Signals {
    private Signals() {
    }

    static void onTermination(Runnable r) {
        Signal.handle(new Signal("INT"), s -> r.run());
        Signal.handle(new Signal("TERM"), s -> r.run());
    }
}

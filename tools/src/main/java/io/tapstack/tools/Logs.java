package io.tapstack.tools;

import java.io.PrintStream;
import java.util.Locale;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * What a user sees of the library's logging. The stack, capture and services log through
 * {@link System.Logger} (no dependency beyond the JDK); its default backend is
 * {@code java.util.logging}, which this class sets up for the command line: one line per record on
 * stderr, {@code tapstack: message[: exception]}, from INFO up unless {@code TAPSTACK_LOG} says
 * otherwise ({@code debug}, {@code info}, {@code warning}, {@code error}, {@code off}).
 */
final class Logs {
    private Logs() {
    }

    static void install(PrintStream err) {
        String want = System.getenv("TAPSTACK_LOG");
        Level level = parse(want == null ? "info" : want);
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        root.setLevel(level);
        root.addHandler(new OneLine(err, level));
    }

    static Level parse(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "debug", "trace", "all" -> Level.FINE;
            case "warning", "warn" -> Level.WARNING;
            case "error" -> Level.SEVERE;
            case "off", "none" -> Level.OFF;
            default -> Level.INFO;
        };
    }

    /** {@code tapstack: message}, the exception's one-line form after it; its stack for errors (bugs) and at debug. */
    static final class OneLine extends Handler {
        private final PrintStream out;
        private final SimpleFormatter messages = new SimpleFormatter();

        OneLine(PrintStream out, Level level) {
            this.out = out;
            setLevel(level);
        }

        @Override
        public void publish(LogRecord r) {
            if (!isLoggable(r)) {
                return;
            }
            StringBuilder b = new StringBuilder("tapstack: ").append(messages.formatMessage(r));
            if (r.getThrown() != null) {
                b.append(": ").append(r.getThrown());
            }
            synchronized (out) {
                out.println(b);
                if (r.getThrown() != null && (r.getLevel().intValue() >= Level.SEVERE.intValue()
                        || getLevel().intValue() <= Level.FINE.intValue())) {
                    r.getThrown().printStackTrace(out);
                }
                out.flush();
            }
        }

        @Override
        public void flush() {
            out.flush();
        }

        @Override
        public void close() {
            flush();
        }
    }
}

package io.tapstack.tools;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogsTest {
    private static String publish(Level handlerLevel, LogRecord r) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new Logs.OneLine(new PrintStream(bytes, true, StandardCharsets.UTF_8), handlerLevel).publish(r);
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void oneLinePerRecordWithTheExceptionsOneLineForm() {
        LogRecord w = new LogRecord(Level.WARNING, "IPv6 duplicate address detected: {0}");
        w.setParameters(new Object[] {"fd00::2"});
        assertEquals("tapstack: IPv6 duplicate address detected: fd00::2" + System.lineSeparator(), publish(Level.INFO, w));
        LogRecord e = new LogRecord(Level.WARNING, "a TCP callback threw");
        e.setThrown(new IllegalStateException("boom"));
        assertEquals("tapstack: a TCP callback threw: java.lang.IllegalStateException: boom" + System.lineSeparator(),
                publish(Level.INFO, e));
    }

    @Test
    void errorsCarryTheirStackAndDebugRecordsAreFilteredByLevel() {
        LogRecord e = new LogRecord(Level.SEVERE, "internal error");
        e.setThrown(new IllegalStateException("bug"));
        String out = publish(Level.INFO, e);
        assertTrue(out.startsWith("tapstack: internal error: java.lang.IllegalStateException: bug"), out);
        assertTrue(out.contains("\tat "), "a bug's stack is shown: " + out);
        assertEquals("", publish(Level.INFO, new LogRecord(Level.FINE, "debug detail")));
        assertEquals("tapstack: debug detail" + System.lineSeparator(), publish(Level.FINE, new LogRecord(Level.FINE, "debug detail")));
    }

    @Test
    void levelsFromTheEnvironment() {
        assertEquals(Level.FINE, Logs.parse("debug"));
        assertEquals(Level.WARNING, Logs.parse(" Warning "));
        assertEquals(Level.SEVERE, Logs.parse("error"));
        assertEquals(Level.OFF, Logs.parse("off"));
        assertEquals(Level.INFO, Logs.parse("info"));
    }
}

package io.tapstack.tools;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tapstack.capture.FilterCompiler;
import io.tapstack.capture.FilterSyntaxException;
import io.tapstack.capture.PcapWriter;
import io.tapstack.capture.PcapngWriter;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The control-socket protocol ({@link ControlServer}) under coverage-guided fuzzing: what a
 * client sends, delivered in reads of sizes the fuzzer chooses. Properties: the request line is
 * read without its newline and never longer than {@link ControlServer#MAX_LINE}; an empty
 * connection gives no request; a {@code capture} request is either refused with
 * IllegalArgumentException (the client gets "error: ...") or gives a snaplen, format and count
 * that the capture writers and the filter compiler accept.
 */
class ControlProtocolFuzzTarget {

    @FuzzTest(maxDuration = "1h", maxExecutions = 10_000_000)
    @DictionaryEntries({"capture ", "stat all", "arp", "ping", "addr", "neigh", " pcap ", " pcapng ", ":micro", ":nano",
            "262144", "65535", "-1", "0", "tcp port 80"})
    void request(FuzzedDataProvider in) throws IOException {
        int[] chunks = new int[8];
        for (int i = 0; i < chunks.length; i++) {
            chunks[i] = in.consumeInt(1, 512);
        }
        byte[] sent = in.consumeRemainingAsBytes();
        ReadableByteChannel ch = new ReadableByteChannel() {
            int at;
            int reads;

            @Override
            public int read(ByteBuffer dst) {
                if (at >= sent.length) {
                    return -1;
                }
                int n = Math.min(Math.min(dst.remaining(), chunks[reads++ % chunks.length]), sent.length - at);
                dst.put(sent, at, n);
                at += n;
                return n;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
        String line = ControlServer.readLine(ch);
        if (sent.length == 0) {
            assertNull(line);
            return;
        }
        assertTrue(line != null, "a non-empty request gives a line");
        assertFalse(line.indexOf('\n') >= 0, "the line ends before its newline");
        assertTrue(line.length() <= ControlServer.MAX_LINE);
        ControlServer.Request req = ControlServer.Request.parse(line);
        assertFalse(req.command().contains(" "));
        assertEquals(req.args(), req.args().strip());
        if (!req.command().equals("capture")) {
            return;
        }
        ControlServer.CaptureRequest c;
        try {
            c = ControlServer.CaptureRequest.parse(req.args());
        } catch (IllegalArgumentException refused) {
            return;
        }
        assertTrue(c.snaplen() > 0 && c.snaplen() <= ControlServer.MAX_SNAPLEN, "snaplen " + c.snaplen() + " accepted");
        assertTrue(c.count() >= 0, "count " + c.count() + " accepted");
        // what was accepted is what the writers and the compiler take
        if (c.pcapng()) {
            new PcapngWriter(new ByteArrayOutputStream(), "tap0", c.snaplen(), c.resolution(), false).close();
        } else {
            new PcapWriter(new ByteArrayOutputStream(), c.snaplen(), c.resolution(), false).close();
        }
        if (!c.filter().isBlank()) {
            try {
                FilterCompiler.compile(c.filter(), c.snaplen(), 0, true);
            } catch (FilterSyntaxException e) {
                assertTrue(e.getMessage() != null);
            }
        }
    }
}

package io.tapstack.service;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 9112 §7.1: the chunked coding decoded from bytes that arrive one at a time or all at once. */
class ChunkedDecoderTest {
    static final String BODY = "4\r\nWiki\r\n5;ext=1\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\nNEXT";

    @Test
    void decodesTheRfcExampleInOneGoAndByteByByte_rfc9112s71() {
        byte[] in = BODY.getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ChunkedDecoder d = new ChunkedDecoder();
        int used = d.feed(in, 0, in.length, out::write);
        assertTrue(d.done());
        assertEquals("Wikipedia in\r\n\r\nchunks.", out.toString(StandardCharsets.US_ASCII));
        assertEquals(23, d.total());
        assertEquals(in.length - 4, used, "the bytes after the body are left for the next request");

        // byte by byte, keeping unconsumed bytes as a real input buffer would
        ByteArrayOutputStream out2 = new ByteArrayOutputStream();
        ChunkedDecoder d2 = new ChunkedDecoder();
        byte[] buf = new byte[64];
        int have = 0;
        int fed = 0;
        while (!d2.done()) {
            buf[have++] = in[fed++];
            int n = d2.feed(buf, 0, have, out2::write);
            System.arraycopy(buf, n, buf, 0, have - n);
            have -= n;
        }
        assertEquals(out.toString(StandardCharsets.US_ASCII), out2.toString(StandardCharsets.US_ASCII));
        assertEquals(in.length - 4, fed);
    }

    @Test
    void malformedInputFails() {
        for (String bad : new String[] {"g\r\n", "\r\n", "3\r\nabcd\r\n", "8000000000000000\r\n", "3\tx\r\n", "-3\r\n"}) {
            ChunkedDecoder d = new ChunkedDecoder();
            byte[] b = bad.getBytes(StandardCharsets.US_ASCII);
            d.feed(b, 0, b.length, (a, o, l) -> { });
            assertTrue(d.failed(), bad);
            assertFalse(d.done());
        }
        ChunkedDecoder d = new ChunkedDecoder();
        byte[] longLine = ("1;" + "x".repeat(ChunkedDecoder.MAX_LINE)).getBytes(StandardCharsets.US_ASCII);
        d.feed(longLine, 0, longLine.length, (a, o, l) -> { });
        assertTrue(d.failed(), "a size line without end is bounded");
    }
}

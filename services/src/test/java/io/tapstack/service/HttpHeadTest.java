package io.tapstack.service;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link HttpHead}: the request line and the four fields read in place (RFC 9112 §3, §5). */
class HttpHeadTest {
    static HttpHead parse(HttpHead h, String head, boolean ok) {
        byte[] b = head.getBytes(StandardCharsets.ISO_8859_1);
        assertEquals(ok, h.parse(b, b.length), head);
        return h;
    }

    @Test
    void requestLineIsThreePartsEndingInAnHttp1Version_rfc9112s3() {
        HttpHead h = new HttpHead();
        parse(h, "GET /a/b.txt?x=1 HTTP/1.1\r\n\r\n", true);
        assertTrue(h.methodIs("GET"));
        assertFalse(h.methodIs("get"), "methods are case-sensitive (RFC 9110 §9.1)");
        assertFalse(h.http10());
        assertEquals("/a/b.txt?x=1", h.target());
        assertEquals("/a/b.txt".length(), h.pathEnd() - h.targetStart());
        assertTrue(parse(h, "HEAD / HTTP/1.0  \r\n\r\n", true).http10(), "trailing spaces are ignored");
        assertTrue(h.methodIs("HEAD"));
        parse(h, "GET /  HTTP/1.1\r\n\r\n", false); // four parts
        parse(h, "GET / HTTP/1.1 x\r\n\r\n", false);
        parse(h, "GET /\r\n\r\n", false);
        parse(h, "GET / HTTP/2.0\r\n\r\n", false);
        parse(h, "GET / http/1.1\r\n\r\n", false);
        parse(h, "\r\n\r\n", false);
        // an empty method is a request line; the server answers it 405
        assertFalse(parse(h, " / HTTP/1.1\r\n\r\n", true).methodIs("GET"));
    }

    @Test
    void fieldsAreMatchedWithoutCaseAndTrimmed_rfc9112s5() {
        HttpHead h = parse(new HttpHead(), "POST /upload HTTP/1.1\r\nHost: x\r\ncOnNeCtIoN:  Keep-Alive, Upgrade \r\n"
                + "EXPECT:\t100-Continue\r\nTransfer-Encoding: GZip, Chunked\r\ncontent-length: 42\r\n\r\n", true);
        assertTrue(h.connectionContains("keep-alive"));
        assertFalse(h.connectionContains("close"));
        assertTrue(h.expectIs("100-continue"));
        assertEquals("gzip, chunked", h.transferEncoding());
        assertEquals(42, h.contentLength());
        // none of them: defaults
        parse(h, "GET / HTTP/1.1\r\nX-Connection: close\r\n: close\r\nnocolon\r\n\r\n", true);
        assertFalse(h.connectionContains("close"));
        assertFalse(h.expectIs("100-continue"));
        assertEquals("", h.transferEncoding());
        assertEquals(-1, h.contentLength());
        // the last of a repeated field counts, as before
        parse(h, "GET / HTTP/1.1\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n", true);
        assertFalse(h.connectionContains("close"));
    }

    @Test
    void contentLengthIsDigitsElseMarkedBad_rfc9110s8_6() {
        HttpHead h = new HttpHead();
        String[][] cases = {{"0", "0"}, {"123456789012345678", "123456789012345678"}, {"", "-2"}, {"12a", "-2"},
            {"1 2", "-2"}, {"-5", "-5"}, {"+7", "7"}, {"99999999999999999999", "-2"}, {"1234567890123456789", "1234567890123456789"}};
        for (String[] c : cases) {
            parse(h, "POST / HTTP/1.1\r\nContent-Length: " + c[0] + "\r\n\r\n", true);
            assertEquals(Long.parseLong(c[1]), h.contentLength(), c[0]);
        }
    }

    @Test
    void bytesAboveAsciiNeverMatchAFieldName() {
        // 0xC3 0x89 ("É" in UTF-8) and Latin-1 'É' lower-case to non-ASCII: no field of ours
        HttpHead h = parse(new HttpHead(), "GET /\u00e9 HTTP/1.1\r\nConn\u00c9ction: close\r\n\r\n", true);
        assertFalse(h.connectionContains("close"));
        assertEquals("/\u00e9", h.target());
    }
}

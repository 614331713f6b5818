package io.tapstack.service;

import io.tapstack.TwoHosts;
import io.tapstack.socket.TcpException;
import io.tapstack.tcp.Tcp;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import io.tapstack.wire.IpAddr;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTTP service on B, driven by raw requests from A over PairLink on virtual time. */
class HttpServiceTest {
    static final IpAddr B = IpAddr.ofV4(TwoHosts.IP_B);
    @TempDir
    Path dir;
    TwoHosts h;
    Tcp ta;
    byte[] big;

    @BeforeEach
    void setUp() throws Exception {
        h = new TwoHosts();
        ta = h.a.tcp();
        Files.writeString(dir.resolve("hello.txt"), "hello\n");
        big = new byte[3_000_000];
        new Random(1).nextBytes(big);
        Files.write(dir.resolve("big.bin"), big);
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve("sub/page.html"), "<p>x</p>");
        Files.writeString(dir.getParent().resolve("secret-" + dir.getFileName()), "secret");
        service = (HttpService) HttpService.startOn(h.b, 80, dir);
    }

    HttpService service;

    @Test
    void idleKeepAliveConnectionsHoldNoRequestBuffer() throws Exception {
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Client c = new Client("GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            ta.connect(B, 80, c);
            clients.add(c);
        }
        h.until(() -> clients.stream().allMatch(c -> c.text().endsWith("\r\n\r\nhello\n")), 30_000_000_000L, 1_000_000L);
        // 20 connections stay open (keep-alive) with nothing unread: none keeps its 16 KiB buffer
        assertEquals(0, service.requestBuffersHeld());
        assertTrue(clients.stream().noneMatch(c -> c.eof || c.error != null));
        // a request head that has not ended yet must be kept
        Client partial = new Client("GET /hello.txt HTTP/1.1\r\nHost:".getBytes(StandardCharsets.US_ASCII));
        ta.connect(B, 80, partial);
        h.until(() -> service.requestBuffersHeld() == 1, 30_000_000_000L, 1_000_000L);
        assertEquals(1, service.requestBuffersHeld());
    }

    /** A client that sends a request and collects the whole response stream until the server closes or a count is reached. */
    static final class Client implements TcpHandler {
        final ByteArrayOutputStream got = new ByteArrayOutputStream();
        final ByteBuffer buf = ByteBuffer.allocate(65536);
        ByteBuffer toSend;
        boolean eof;
        TcpException error;

        Client(byte[] request) {
            toSend = ByteBuffer.wrap(request);
        }

        @Override
        public void onConnected(TcpConnection c) {
            onWritable(c);
        }

        @Override
        public void onWritable(TcpConnection c) {
            try {
                while (toSend.hasRemaining() && c.write(toSend) > 0) {
                    // keep writing
                }
            } catch (TcpException e) {
                error = e;
            }
        }

        @Override
        public void onReadable(TcpConnection c) {
            try {
                int n;
                while ((n = c.read(buf.clear())) > 0) {
                    got.write(buf.array(), 0, n);
                }
                if (n < 0 && !eof) {
                    eof = true;
                    c.close();
                }
            } catch (TcpException e) {
                error = e;
            }
        }

        @Override
        public void onClosed(TcpConnection c, TcpException e) {
            if (e != null) {
                error = e;
            }
        }

        String text() {
            return got.toString(StandardCharsets.ISO_8859_1);
        }
    }

    Client exchange(String request) throws Exception {
        return exchange(request.getBytes(StandardCharsets.ISO_8859_1));
    }

    Client exchange(byte[] request) throws Exception {
        Client c = new Client(request);
        ta.connect(B, 80, c);
        h.until(() -> c.eof || c.error != null, 120_000_000_000L, 1_000_000L);
        return c;
    }

    @Test
    void getServesFileWithLengthAndType() throws Exception {
        Client c = exchange("GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        String t = c.text();
        assertTrue(t.startsWith("HTTP/1.1 200 OK\r\n"), t);
        assertTrue(t.contains("Content-Length: 6\r\n"), t);
        assertTrue(t.contains("Content-Type: text/plain; charset=utf-8\r\n"), t);
        assertTrue(t.endsWith("\r\n\r\nhello\n"), t);
    }

    @Test
    void headHasNoBody() throws Exception {
        Client c = exchange("HEAD /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        String t = c.text();
        assertTrue(t.startsWith("HTTP/1.1 200 OK\r\n"), t);
        assertTrue(t.contains("Content-Length: 3000000\r\n"));
        assertTrue(t.contains("Content-Type: application/octet-stream\r\n"));
        assertTrue(t.endsWith("\r\n\r\n"));
    }

    @Test
    void largeFileIsStreamedIntact() throws Exception {
        Client c = exchange("GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        byte[] all = c.got.toByteArray();
        String t = c.text();
        int body = t.indexOf("\r\n\r\n") + 4;
        byte[] b = java.util.Arrays.copyOfRange(all, body, all.length);
        assertArrayEquals(big, b);
    }

    private byte[] body(Client c) {
        byte[] all = c.got.toByteArray();
        int at = c.text().indexOf("\r\n\r\n") + 4;
        return java.util.Arrays.copyOfRange(all, at, all.length);
    }

    @Test
    void aFileLargerThanTheCacheIsStreamedFromDiskIntact() throws Exception {
        byte[] huge = new byte[HttpFiles.CACHED_FILE + 123_457];
        new Random(2).nextBytes(huge);
        Files.write(dir.resolve("huge.bin"), huge);
        Client c = exchange("GET /huge.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertTrue(c.text().contains("Content-Length: " + huge.length + "\r\n"), c.text().substring(0, 200));
        assertArrayEquals(huge, body(c));
    }

    @Test
    void aCachedFileThatChangesOnDiskIsServedAnewAfterTheSecondItIsTrusted() throws Exception {
        assertArrayEquals(big, body(exchange("GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));
        byte[] next = new byte[big.length - 1000];
        new Random(3).nextBytes(next);
        Files.write(dir.resolve("big.bin"), next);
        h.run(1_100_000_000L, 10_000_000L); // past the request-path cache's second (like nginx's open_file_cache_valid)
        Client c = exchange("GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertTrue(c.text().contains("Content-Length: " + next.length + "\r\n"));
        assertArrayEquals(next, body(c));
    }

    @Test
    void notFoundMethodNotAllowedAndNoTraversal() throws Exception {
        assertTrue(exchange("GET /nope HTTP/1.1\r\nConnection: close\r\n\r\n").text().startsWith("HTTP/1.1 404 "));
        String t = exchange("DELETE /hello.txt HTTP/1.1\r\nConnection: close\r\n\r\n").text();
        assertTrue(t.startsWith("HTTP/1.1 405 "), t);
        assertTrue(t.contains("Allow: GET, HEAD, POST"), t);
        String secret = "secret-" + dir.getFileName();
        for (String p : new String[] {"/../" + secret, "/%2e%2e/" + secret, "/sub/../../" + secret, "/..%2f" + secret}) {
            String r = exchange("GET " + p + " HTTP/1.1\r\nConnection: close\r\n\r\n").text();
            assertTrue(r.startsWith("HTTP/1.1 404 "), p + " -> " + r);
            assertTrue(!r.contains("secret\n") || r.contains("404"), p);
        }
        assertTrue(exchange("GET /sub/page.html HTTP/1.1\r\nConnection: close\r\n\r\n").text().contains("Content-Type: text/html"));
    }

    @Test
    void uploadAnswersLengthAndSha256() throws Exception {
        byte[] body = new byte[1_500_000];
        new Random(3).nextBytes(body);
        byte[] head = ("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length
                + "\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] req = new byte[head.length + body.length];
        System.arraycopy(head, 0, req, 0, head.length);
        System.arraycopy(body, 0, req, head.length, body.length);
        Client c = exchange(req);
        String t = c.text();
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        assertTrue(t.startsWith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"), t);
        assertTrue(t.endsWith("\r\n\r\n" + body.length + " " + sha + "\n"), t);
    }

    /** A body in the chunked coding: chunks of odd sizes, extensions, a trailer; then a second request on the connection. */
    static byte[] chunkedRequest(byte[] body, String extraHeaders, String tail) {
        java.io.ByteArrayOutputStream r = new java.io.ByteArrayOutputStream();
        r.writeBytes(("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n" + extraHeaders + "\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        Random rnd = new Random(7);
        int at = 0;
        for (int k = 0; at < body.length; k++) {
            int n = Math.min(body.length - at, 1 + rnd.nextInt(k % 3 == 0 ? 20 : 70_000));
            String ext = k % 4 == 1 ? ";name=value" : k % 4 == 2 ? " ; x" : "";
            r.writeBytes((Integer.toHexString(n) + ext + "\r\n").getBytes(StandardCharsets.US_ASCII));
            r.write(body, at, n);
            r.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            at += n;
        }
        r.writeBytes(("0\r\nX-Trailer: yes\r\n\r\n" + tail).getBytes(StandardCharsets.US_ASCII));
        return r.toByteArray();
    }

    @Test
    void chunkedUploadIsDecoded_rfc9112s71() throws Exception {
        byte[] body = new byte[700_000];
        new Random(5).nextBytes(body);
        Client c = exchange(chunkedRequest(body, "Expect: 100-continue\r\n",
                "GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        String t = c.text();
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        assertTrue(t.startsWith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"), t);
        assertTrue(t.contains("\r\n\r\n" + body.length + " " + sha + "\n"), t);
        // the connection stays usable: the request after the trailer is answered too
        assertTrue(t.endsWith("\r\n\r\nhello\n"), t);
        // an empty chunked body
        t = exchange("POST /upload HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n").text();
        String empty = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(new byte[0]));
        assertTrue(t.startsWith("HTTP/1.1 200 OK\r\n") && t.endsWith("0 " + empty + "\n"), t);
    }

    @Test
    void malformedChunkedBodiesAndUnknownCodingsAreRefused_rfc9112s61() throws Exception {
        String h = "POST /upload HTTP/1.1\r\nHost: x\r\n";
        for (String bad : new String[] {"zz\r\nabc\r\n0\r\n\r\n", "3\r\nabcXY0\r\n\r\n", "-1\r\n\r\n",
                "1111111111111111\r\n", "3 x\r\nabc\r\n0\r\n\r\n", "3;a\nb\r\nabc\r\n0\r\n\r\n"}) {
            Client c = exchange(h + "Transfer-Encoding: chunked\r\n\r\n" + bad);
            assertTrue(c.text().startsWith("HTTP/1.1 400 "), bad + " -> " + c.text());
            assertTrue(c.eof, "the server closes after a malformed body");
        }
        String longLine = "1;" + "x".repeat(ChunkedDecoder.MAX_LINE + 10) + "\r\n";
        assertTrue(exchange(h + "Transfer-Encoding: chunked\r\n\r\n" + longLine).text().startsWith("HTTP/1.1 400 "));
        // RFC 9112 §6.1: chunked must come last; an unknown coding → 501
        assertTrue(exchange(h + "Transfer-Encoding: gzip\r\n\r\nxx").text().startsWith("HTTP/1.1 400 "));
        assertTrue(exchange(h + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n").text().startsWith("HTTP/1.1 501 "));
        // RFC 9112 §6.3 (3): Transfer-Encoding overrides Content-Length, and the server closes afterwards
        Client both = exchange(h + "Transfer-Encoding: chunked\r\nContent-Length: 100\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                + "GET /hello.txt HTTP/1.1\r\n\r\n");
        String abc = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest("abc".getBytes(StandardCharsets.US_ASCII)));
        assertTrue(both.text().startsWith("HTTP/1.1 200 OK\r\n") && both.text().endsWith("3 " + abc + "\n"), both.text());
        assertTrue(both.eof);
    }

    @Test
    void keepAliveServesPipelinedRequestsOnOneConnection() throws Exception {
        Client c = exchange("GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        String t = c.text();
        assertEquals(2, t.split("HTTP/1.1 200 OK", -1).length - 1, t);
        assertEquals(1, t.split("HTTP/1.1 404", -1).length - 1, t);
        assertTrue(t.endsWith("hello\n"));
    }

    @Test
    void generatedIndexWithoutRoot() throws Exception {
        HttpService.startOn(h.b, 8080, null);
        Client c = new Client("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        ta.connect(B, 8080, c);
        h.until(() -> c.eof, 10_000_000_000L, 1_000_000L);
        assertTrue(c.text().startsWith("HTTP/1.1 200 OK"), c.text());
        assertTrue(c.text().contains("<h1>tapstack</h1>"));
    }

    /**
     * Exchanges are reused (issue 11): one back in the pool and handed to a new connection ignores
     * every event of the connection it served before, so a late event of the old connection can
     * neither read from it nor disturb the new one. Driven by hand on two live connections.
     */
    @Test
    void aReusedExchangeIgnoresItsOldConnection() throws Exception {
        byte[] req = "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        TcpHandler sendOnly = new TcpHandler() {
            @Override
            public void onConnected(TcpConnection c) {
                try {
                    c.write(req, 0, req.length);
                } catch (TcpException e) {
                    throw new AssertionError(e);
                }
            }
        };
        TcpConnection old = ta.connect(B, 80, sendOnly);
        TcpConnection next = ta.connect(B, 80, sendOnly);
        h.until(() -> old.available() > 0 && next.available() > 0, 10_000_000_000L, 1_000_000L);
        int unread = old.available();
        int active = service.activeConnections();
        TcpHandler x = service.newHandler(old);
        x.onClosed(old, null); // back to the pool
        assertEquals(active - 1, service.activeConnections());
        TcpHandler y = service.newHandler(next);
        assertTrue(x == y, "the pooled exchange is reused");
        y.onReadable(old);
        y.onWritable(old);
        y.onClosed(old, null);
        assertEquals(unread, old.available(), "a late event of the old connection read nothing from it");
        assertEquals(active - 1, service.activeConnections(), "nor counted it closed twice");
        assertTrue(old.isOpen() && next.isOpen());
    }

    @Test
    void twoHundredConcurrentClients() throws Exception {
        List<Client> cs = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            Client c = new Client("GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            ta.connect(B, 80, c);
            cs.add(c);
        }
        h.until(() -> cs.stream().allMatch(c -> c.eof || c.error != null), 600_000_000_000L, 1_000_000L);
        for (Client c : cs) {
            assertEquals(null, c.error);
            assertTrue(c.text().startsWith("HTTP/1.1 200 OK"));
            assertEquals(big.length, c.got.size() - (c.text().indexOf("\r\n\r\n") + 4));
        }
    }
}

package io.tapstack.tcp;

import io.tapstack.TwoHosts;
import io.tapstack.socket.TcpException;
import io.tapstack.wire.IpAddr;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.SplittableRandom;

/** Two hosts with TCP attached, and handlers that send and collect byte streams. */
final class TcpPair {
    static final IpAddr A = IpAddr.ofV4(TwoHosts.IP_A);
    static final IpAddr B = IpAddr.ofV4(TwoHosts.IP_B);
    static final long MS = 1_000_000L;

    final TwoHosts h;
    final Tcp ta;
    final Tcp tb;

    TcpPair() {
        this(new TcpConfig(), -1, 1500);
    }

    TcpPair(TcpConfig cfg, long seed, int mtu) {
        h = new TwoHosts(mtu, seed, c -> {
        }, cfg);
        ta = h.a.tcp();
        tb = h.b.tcp();
    }

    void run(long ms) {
        h.run(ms * MS, MS);
    }

    void until(java.util.function.BooleanSupplier c, long maxMs) {
        h.until(c, maxMs * MS, MS);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Reads everything; records a digest (or the bytes), EOF, close and errors. */
    static final class Collector implements TcpHandler {
        final MessageDigest digest = sha256();
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final boolean keepBytes;
        final ByteBuffer buf = ByteBuffer.allocate(65536);
        long count;
        boolean eof;
        boolean connected;
        boolean closed;
        TcpException error;
        TcpException readError;
        /** Stop reading (to let the window fill). */
        boolean paused;
        boolean closeOnEof;

        Collector(boolean keepBytes) {
            this.keepBytes = keepBytes;
        }

        @Override
        public void onConnected(TcpConnection c) {
            connected = true;
        }

        @Override
        public void onReadable(TcpConnection c) {
            if (!paused) {
                drain(c);
            }
        }

        void drain(TcpConnection c) {
            try {
                while (true) {
                    buf.clear();
                    int n = c.read(buf);
                    if (n < 0) {
                        if (!eof && closeOnEof) {
                            eof = true;
                            c.close();
                        }
                        eof = true;
                        return;
                    }
                    if (n == 0) {
                        return;
                    }
                    digest.update(buf.array(), 0, n);
                    if (keepBytes) {
                        bytes.write(buf.array(), 0, n);
                    }
                    count += n;
                }
            } catch (TcpException e) {
                readError = e;
            }
        }

        @Override
        public void onClosed(TcpConnection c, TcpException error) {
            closed = true;
            this.error = error;
        }
    }

    /** Writes {@code total} pseudo-random bytes (seeded), then shuts down output. */
    static final class Sender implements TcpHandler {
        final MessageDigest digest = sha256();
        final long total;
        final SplittableRandom rnd;
        final byte[] chunk = new byte[16384];
        int chunkLen;
        int chunkPos;
        long sent;
        boolean done;
        boolean closed;
        TcpException error;
        boolean closeWhenDone = false;

        Sender(long total, long seed) {
            this.total = total;
            this.rnd = new SplittableRandom(seed);
        }

        @Override
        public void onConnected(TcpConnection c) {
            pump(c);
        }

        @Override
        public void onWritable(TcpConnection c) {
            pump(c);
        }

        void pump(TcpConnection c) {
            try {
                while (sent < total) {
                    if (chunkPos == chunkLen) {
                        chunkLen = (int) Math.min(chunk.length, total - sent);
                        for (int i = 0; i < chunkLen; i++) {
                            chunk[i] = (byte) rnd.nextInt(256);
                        }
                        digest.update(chunk, 0, chunkLen);
                        chunkPos = 0;
                    }
                    int n = c.write(chunk, chunkPos, chunkLen - chunkPos);
                    if (n == 0) {
                        return;
                    }
                    chunkPos += n;
                    if (chunkPos == chunkLen) {
                        sent += chunkLen;
                    }
                }
                if (!done) {
                    done = true;
                    if (closeWhenDone) {
                        c.close();
                    } else {
                        c.shutdownOutput();
                    }
                }
            } catch (TcpException e) {
                error = e;
            }
        }

        @Override
        public void onClosed(TcpConnection c, TcpException error) {
            closed = true;
            this.error = error;
        }
    }

    static String hex(byte[] d) {
        StringBuilder sb = new StringBuilder();
        for (byte x : d) {
            sb.append(String.format("%02x", x));
        }
        return sb.toString();
    }
}

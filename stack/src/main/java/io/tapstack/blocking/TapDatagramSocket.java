package io.tapstack.blocking;

import io.tapstack.EventLoop;
import io.tapstack.udp.UdpCounter;
import io.tapstack.udp.UdpSocket;
import io.tapstack.wire.IpAddr;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A blocking UDP socket for ordinary threads, in the manner of {@link java.net.DatagramSocket}.
 * Every operation is marshalled onto the stack's {@link EventLoop} with {@code execute}; the
 * loop hands received datagrams back through a lock-free queue (bounded by a count), so the
 * loop thread never blocks or takes a lock.
 */
public final class TapDatagramSocket implements AutoCloseable {
    /** How long a caller waits for the loop to run a command. */
    private static final long CALL_TIMEOUT_MS = 10_000;

    private record Item(byte[] data, long hi, long lo, int port, IOException error) {
    }

    private final EventLoop loop;
    private final UdpSocket socket;
    private final LinkedTransferQueue<Item> inbox = new LinkedTransferQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final int limit;
    private volatile int timeoutMs;
    private volatile boolean closed;

    /** Binds to an ephemeral port on the dual-stack wildcard address. */
    public TapDatagramSocket(EventLoop loop) throws IOException {
        this(loop, null);
    }

    /** Binds to {@code local} (null: ephemeral port, wildcard address; port 0: ephemeral). */
    public TapDatagramSocket(EventLoop loop, InetSocketAddress local) throws IOException {
        this.loop = loop;
        this.limit = loop.stack().config().udpRecvQueuePackets;
        IpAddr addr = local == null || local.getAddress() == null ? null : IpAddr.ofBytes(local.getAddress().getAddress());
        int port = local == null ? 0 : local.getPort();
        this.socket = call(() -> {
            UdpSocket s = loop.stack().udp().open();
            s.setHandler(new UdpSocket.Handler() {
                @Override
                public void onDatagram(UdpSocket us, ByteBuffer buf, int off, int len, long hi, long lo, int sport) {
                    if (queued.get() >= limit) {
                        loop.stack().udp().counters().inc(UdpCounter.DROP_QUEUE_FULL);
                        return;
                    }
                    byte[] d = new byte[len];
                    buf.get(off, d);
                    queued.incrementAndGet();
                    inbox.offer(new Item(d, hi, lo, sport, null));
                }

                @Override
                public void onError(UdpSocket us, IOException e) {
                    queued.incrementAndGet();
                    inbox.offer(new Item(null, 0, 0, 0, e));
                }
            });
            try {
                s.bind(addr, port);
            } catch (IOException e) {
                s.close();
                throw new UncheckedIOException(e);
            }
            return s;
        });
    }

    public void setSoTimeout(int ms) {
        this.timeoutMs = ms;
    }

    public int getSoTimeout() {
        return timeoutMs;
    }

    public void connect(InetSocketAddress remote) throws IOException {
        IpAddr a = IpAddr.ofBytes(remote.getAddress().getAddress());
        call(() -> {
            try {
                socket.connect(a, remote.getPort());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return null;
        });
    }

    public void disconnect() throws IOException {
        call(() -> {
            socket.disconnect();
            return null;
        });
    }

    /** Sends the packet's data to its address (or to the connected peer if it has none). */
    public void send(DatagramPacket p) throws IOException {
        checkOpen();
        ByteBuffer data = ByteBuffer.wrap(p.getData(), p.getOffset(), p.getLength()).slice();
        InetAddress ia = p.getAddress();
        IpAddr dst = ia == null ? null : IpAddr.ofBytes(ia.getAddress());
        int port = p.getPort();
        call(() -> {
            try {
                return dst == null ? socket.send(data) : socket.sendTo(data, dst, port);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /**
     * Waits for a datagram (up to the SO_TIMEOUT, 0 = forever) and fills {@code p} with its
     * data (truncated to the packet's buffer), source address and port. Throws a pending ICMP
     * error (e.g. {@link java.net.PortUnreachableException} on a connected socket).
     */
    public void receive(DatagramPacket p) throws IOException {
        checkOpen();
        Item it;
        try {
            int t = timeoutMs;
            it = t > 0 ? inbox.poll(t, TimeUnit.MILLISECONDS) : inbox.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
        if (it == null) {
            throw new SocketTimeoutException("Receive timed out");
        }
        queued.decrementAndGet();
        if (it.error != null) {
            throw it.error;
        }
        if (it.data == null) {
            throw new SocketException("socket closed");
        }
        int n = Math.min(it.data.length, p.getData().length - p.getOffset());
        System.arraycopy(it.data, 0, p.getData(), p.getOffset(), n);
        p.setLength(n);
        p.setAddress(IpAddr.of(it.hi, it.lo).toInetAddress());
        p.setPort(it.port);
    }

    public int getLocalPort() {
        return socket.localPort();
    }

    public InetAddress getLocalAddress() {
        return socket.localAddress().toInetAddress();
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            loop.execute(socket::close);
        } catch (IllegalStateException e) {
            // loop already stopped
        }
        inbox.offer(new Item(null, 0, 0, 0, null));
    }

    private void checkOpen() throws SocketException {
        if (closed) {
            throw new SocketException("socket closed");
        }
    }

    private <T> T call(Supplier<T> s) throws IOException {
        try {
            return loop.call(s).get(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        } catch (TimeoutException e) {
            throw new SocketTimeoutException("event loop did not answer");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof UncheckedIOException u) {
                throw u.getCause();
            }
            if (c instanceof RuntimeException r) {
                throw r;
            }
            throw new IOException(c);
        }
    }
}

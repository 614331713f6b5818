package io.tapstack;

import io.tapstack.socket.TcpException;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;

import java.lang.management.ManagementFactory;

/**
 * One handler for many short client connections (the allocation tests of issue 11): sends one of
 * its requests when connected (in turn), reads the response to its end, closes. It keeps the
 * first response (up to 4 KiB) and counts bytes and closes; nothing is allocated per connection.
 */
public final class RequestClient implements TcpHandler {
    private final byte[][] requests;
    private final byte[] buf = new byte[4096];
    private final byte[] first = new byte[4096];
    private int firstLength;
    private long connects;
    public long bytes;
    public long closed;

    public RequestClient(byte[]... requests) {
        this.requests = requests;
    }

    /** Bytes allocated so far by the calling thread (HotSpot's counter: a count, not a timer). */
    public static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /** The first connection's response, as far as it was kept. */
    public byte[] firstResponse() {
        return java.util.Arrays.copyOf(first, firstLength);
    }

    @Override
    public void onConnected(TcpConnection c) {
        byte[] r = requests[(int) (connects++ % requests.length)];
        try {
            if (c.write(r, 0, r.length) != r.length) {
                throw new AssertionError("send buffer full");
            }
        } catch (TcpException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void onReadable(TcpConnection c) {
        try {
            int n;
            while ((n = c.read(buf, 0, buf.length)) > 0) {
                if (closed == 0 && firstLength + n <= first.length) {
                    System.arraycopy(buf, 0, first, firstLength, n);
                    firstLength += n;
                }
                bytes += n;
            }
            if (n < 0) {
                c.close();
                closed++;
            }
        } catch (TcpException e) {
            throw new AssertionError(e);
        }
    }
}

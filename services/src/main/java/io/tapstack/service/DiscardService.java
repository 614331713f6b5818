package io.tapstack.service;

import io.tapstack.EventLoop;
import io.tapstack.socket.TcpException;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;

import java.nio.ByteBuffer;

/** RFC 863 discard over TCP (port 9): reads and drops everything; closes after the peer does. */
public final class DiscardService extends LoopService {
    public static final int PORT = 9;
    /** One scratch buffer for every connection of this service (one loop thread reads them all). */
    private final ByteBuffer buf = ByteBuffer.allocate(65536);

    DiscardService(EventLoop loop, int port) {
        super(loop, port);
    }

    private DiscardService(io.tapstack.NetStack stack, int port) {
        super(null, stack, port);
    }

    /** Starts the service on a stack driven by the caller (on its loop thread, or a test). */
    public static Service startOn(io.tapstack.NetStack stack, int port) throws Exception {
        return new DiscardService(stack, port).start();
    }

    @Override
    public String name() {
        return "discard";
    }

    @Override
    protected TcpHandler newHandler(TcpConnection c) {
        return new TcpHandler() {
            @Override
            public void onReadable(TcpConnection x) {
                try {
                    while (true) {
                        buf.clear();
                        int n = x.read(buf);
                        if (n < 0) {
                            x.close();
                            return;
                        }
                        if (n == 0) {
                            return;
                        }
                    }
                } catch (TcpException e) {
                    x.abort();
                }
            }
        };
    }
}

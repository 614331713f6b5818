package io.tapstack.service;

import io.tapstack.EventLoop;
import io.tapstack.socket.TcpException;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;

import java.nio.ByteBuffer;

/** RFC 862 echo over TCP (port 7): what arrives is sent back; the peer's FIN is echoed too. */
public final class EchoService extends LoopService {
    public static final int PORT = 7;

    EchoService(EventLoop loop, int port) {
        super(loop, port);
    }

    private EchoService(io.tapstack.NetStack stack, int port) {
        super(null, stack, port);
    }

    /** Starts the service on a stack driven by the caller (on its loop thread, or a test). */
    public static Service startOn(io.tapstack.NetStack stack, int port) throws Exception {
        return new EchoService(stack, port).start();
    }

    @Override
    public String name() {
        return "echo";
    }

    @Override
    protected TcpHandler newHandler(TcpConnection c) {
        return new TcpHandler() {
            private final ByteBuffer buf = ByteBuffer.allocate(16384);
            private boolean eof;

            @Override
            public void onReadable(TcpConnection x) {
                pump(x);
            }

            @Override
            public void onWritable(TcpConnection x) {
                pump(x);
            }

            private void pump(TcpConnection x) {
                try {
                    while (true) {
                        // flush what is waiting before reading more (backpressure)
                        if (buf.position() > 0) {
                            buf.flip();
                            x.write(buf);
                            buf.compact();
                            if (buf.position() > 0) {
                                return;
                            }
                        }
                        if (eof) {
                            x.close();
                            return;
                        }
                        int n = x.read(buf);
                        if (n < 0) {
                            eof = true;
                        } else if (n == 0) {
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

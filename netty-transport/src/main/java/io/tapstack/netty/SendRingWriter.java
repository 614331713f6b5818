package io.tapstack.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.FileRegion;
import io.tapstack.socket.TcpException;
import io.tapstack.tcp.TcpConnection;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * The write path of a {@link TapstackSocketChannel}: the outbound buffer's messages go into the
 * connection's send ring, one copy each — a heap {@link ByteBuf} by arraycopy from its array, a
 * direct one through its NIO views (gathered), a {@link FileRegion} through the ring as a
 * {@link WritableByteChannel}. Loop thread only; allocates nothing.
 */
final class SendRingWriter {
    private SendRingWriter() {}

    /**
     * Moves what the outbound buffer holds into the connection's send ring until it is empty
     * (true) or the ring is full (false).
     */
    static boolean write(TcpConnection c, ChannelOutboundBuffer in, WritableByteChannel ring) throws IOException {
        try {
            while (true) {
                Object msg = in.current();
                if (msg == null) {
                    return true;
                }
                if (msg instanceof ByteBuf buf) {
                    int readable = buf.readableBytes();
                    if (readable == 0) {
                        in.remove();
                        continue;
                    }
                    if (buf.hasArray()) {
                        // a heap buffer goes into the ring by arraycopy, without a ByteBuffer view
                        int w = c.write(buf.array(), buf.arrayOffset() + buf.readerIndex(), readable);
                        if (w > 0) {
                            in.removeBytes(w);
                        }
                        if (w < readable) {
                            return false; // the send ring is full
                        }
                        continue;
                    }
                    ByteBuffer[] nio = in.nioBuffers(1024, Integer.MAX_VALUE);
                    int count = in.nioBufferCount();
                    long want = in.nioBufferSize();
                    long wrote = 0;
                    for (int i = 0; i < count; i++) {
                        ByteBuffer b = nio[i];
                        int r = b.remaining();
                        int w = c.write(b);
                        wrote += w;
                        if (w < r) {
                            break;
                        }
                    }
                    if (wrote > 0) {
                        in.removeBytes(wrote);
                    }
                    if (wrote < want) {
                        return false; // the send ring is full
                    }
                } else {
                    FileRegion region = (FileRegion) msg;
                    if (region.transferred() >= region.count()) {
                        in.remove();
                        continue;
                    }
                    long n = region.transferTo(ring, region.transferred());
                    if (n > 0) {
                        in.progress(n);
                    }
                    if (region.transferred() >= region.count()) {
                        in.remove();
                    } else if (n <= 0) {
                        return false;
                    }
                }
            }
        } catch (TcpException e) {
            throw TapstackErrors.map(e);
        }
    }
}

package io.tapstack.blocking;

import io.tapstack.EventLoop;
import io.tapstack.dns.Resolver;
import io.tapstack.wire.IpAddr;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Name lookups from ordinary threads, like {@link java.net.InetAddress#getAllByName}: the
 * stack's {@link Resolver} runs on its loop; these methods marshal the request there and hand
 * back the answer.
 */
public final class TapDns {
    private TapDns() {
    }

    /**
     * A and AAAA addresses of {@code name} (IPv4 first), asynchronously; an IP literal is its own
     * answer. The future fails with the resolver's {@link IOException}
     * ({@link java.net.UnknownHostException}, {@link SocketTimeoutException}).
     */
    public static CompletableFuture<List<IpAddr>> resolveAsync(EventLoop loop, String name) {
        CompletableFuture<List<IpAddr>> f = new CompletableFuture<>();
        loop.execute(() -> loop.stack().resolver().resolveAll(name, (addrs, error) -> {
            if (error != null) {
                f.completeExceptionally(error);
            } else {
                f.complete(addrs);
            }
        }));
        return f;
    }

    /** As {@link #resolveAsync}, waiting at most {@code timeoutMillis} (0 = the resolver's own bound). */
    public static List<IpAddr> resolve(EventLoop loop, String name, long timeoutMillis) throws IOException {
        try {
            CompletableFuture<List<IpAddr>> f = resolveAsync(loop, name);
            return timeoutMillis > 0 ? f.get(timeoutMillis, TimeUnit.MILLISECONDS) : f.get(5, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        } catch (TimeoutException e) {
            throw new SocketTimeoutException("no answer for " + name + " within " + timeoutMillis + " ms");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        }
    }
}

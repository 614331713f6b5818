package io.tapstack.netty.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.SocketHalfClosedTest;

import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.net.SocketAddress;
import java.util.List;

/** Netty's {@code SocketHalfClosedTest} on tapstack: client and server on one host, over local delivery. */
class TapstackSocketHalfClosedTest extends SocketHalfClosedTest {
    @Override
    protected SocketAddress newSocketAddress() {
        return TapstackSocketTestPermutation.serverAddress(sb);
    }

    @Override
    protected List<TestsuitePermutation.BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return TapstackSocketTestPermutation.INSTANCE.socket();
    }

    @Test
    @Disabled("blocks one event loop in channelActive until the peer's loop has closed: with client and server"
            + " on one host there is one loop (one stack, one thread), so it can never proceed")
    @Override
    public void testAutoCloseFalseDoesShutdownOutput(TestInfo testInfo) {
    }

    @Test
    @Disabled("expects the peer's FIN to be reported without a pending read (epoll's EPOLLRDHUP; Netty skips it for NIO); not yet")
    @Override
    public void testAllDataReadEventTriggeredAfterHalfClosure(TestInfo testInfo) {
    }
}

package io.tapstack.netty.testsuite;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.ServerSocketSuspendTest;

import java.net.SocketAddress;
import java.util.List;

/** Netty's {@code ServerSocketSuspendTest} on tapstack. */
class TapstackServerSocketSuspendTest extends ServerSocketSuspendTest {
    @Override
    protected SocketAddress newSocketAddress() {
        return TapstackSocketTestPermutation.serverAddress(null);
    }

    @Override
    protected List<TestsuitePermutation.BootstrapFactory<ServerBootstrap>> newFactories() {
        return TapstackSocketTestPermutation.INSTANCE.serverSocket();
    }
}

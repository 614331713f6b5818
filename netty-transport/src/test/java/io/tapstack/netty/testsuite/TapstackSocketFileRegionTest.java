package io.tapstack.netty.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.SocketFileRegionTest;

import java.net.SocketAddress;
import java.util.List;

/** Netty's {@code SocketFileRegionTest} on tapstack: client and server on one host, over local delivery. */
class TapstackSocketFileRegionTest extends SocketFileRegionTest {
    @Override
    protected SocketAddress newSocketAddress() {
        return TapstackSocketTestPermutation.serverAddress(sb);
    }

    @Override
    protected List<TestsuitePermutation.BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return TapstackSocketTestPermutation.INSTANCE.socket();
    }
}

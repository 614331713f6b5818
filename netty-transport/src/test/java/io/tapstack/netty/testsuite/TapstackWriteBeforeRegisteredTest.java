package io.tapstack.netty.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.WriteBeforeRegisteredTest;

import java.net.SocketAddress;
import java.util.List;

/** Netty's {@code WriteBeforeRegisteredTest} on tapstack. */
class TapstackWriteBeforeRegisteredTest extends WriteBeforeRegisteredTest {
    @Override
    protected SocketAddress newSocketAddress() {
        return TapstackSocketTestPermutation.kernelServerAddress();
    }

    @Override
    protected List<TestsuitePermutation.BootstrapFactory<Bootstrap>> newFactories() {
        return TapstackSocketTestPermutation.INSTANCE.clientSocket();
    }
}

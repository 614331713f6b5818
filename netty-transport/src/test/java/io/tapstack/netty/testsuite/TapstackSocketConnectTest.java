package io.tapstack.netty.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.SocketConnectTest;

import org.junit.jupiter.api.BeforeAll;

import java.net.SocketAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertNotNull;

/** Netty's {@code SocketConnectTest} on tapstack: client and server on one host, over local delivery. */
class TapstackSocketConnectTest extends SocketConnectTest {
    /**
     * The host (and in the kernel permutation its TAP) comes up before the first test: some of
     * these tests have a 3 s timeout of their own, meant for a connect, not for starting a stack
     * in a cold JVM on a loaded machine.
     */
    @BeforeAll
    static void hostUp() {
        assertNotNull(TapstackSocketTestPermutation.HOST.group().next());
    }

    @Override
    protected SocketAddress newSocketAddress() {
        return TapstackSocketTestPermutation.serverAddress(sb);
    }

    @Override
    protected List<TestsuitePermutation.BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return TapstackSocketTestPermutation.INSTANCE.socket();
    }
}

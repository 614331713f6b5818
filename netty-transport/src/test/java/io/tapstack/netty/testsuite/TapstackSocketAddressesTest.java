package io.tapstack.netty.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.SocketAddressesTest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Netty's {@code SocketAddressesTest} on tapstack: addresses are IP socket addresses with a port. */
class TapstackSocketAddressesTest extends SocketAddressesTest {
    @Override
    protected SocketAddress newSocketAddress() {
        return TapstackSocketTestPermutation.serverAddress(sb);
    }

    @Override
    protected List<TestsuitePermutation.BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return TapstackSocketTestPermutation.INSTANCE.socket();
    }

    @Test
    @DisabledIfSystemProperty(named = "tapstack.testsuite", matches = "kernel",
            disabledReason = "binds the client to the server's address (one host, as the suite assumes); across the TAP"
                    + " tapstack and the kernel have addresses of their own")
    @Override
    public void testAddresses(TestInfo testInfo) throws Throwable {
        super.testAddresses(testInfo);
    }

    @Override
    protected void assertAddress(SocketAddress address) {
        assertTrue(address instanceof InetSocketAddress a && a.getPort() > 0, String.valueOf(address));
    }
}

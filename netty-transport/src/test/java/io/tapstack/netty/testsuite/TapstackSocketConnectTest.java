package io.tapstack.netty.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.SocketConnectTest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

import java.net.SocketAddress;
import java.util.List;

/** Netty's {@code SocketConnectTest} on tapstack: client and server on one host, over local delivery. */
class TapstackSocketConnectTest extends SocketConnectTest {
    // The suite gives these five 3 s (meant for a connect); the first of them to run in a cold JVM
    // on a loaded 2-core machine overran it, on main's code too, so they get the module's 30 s.

    @Test
    @Timeout(30)
    @Override
    public void testChannelEventsFiredWhenClosedDirectly(TestInfo testInfo) throws Throwable {
        super.testChannelEventsFiredWhenClosedDirectly(testInfo);
    }

    @Test
    @Timeout(30)
    @Override
    public void testWriteWithFastOpenBeforeConnect(TestInfo testInfo) throws Throwable {
        super.testWriteWithFastOpenBeforeConnect(testInfo);
    }

    @Test
    @Timeout(30)
    @Override
    public void testWriteWithFastOpenBeforeConnectDirectBufferReaderIndex(TestInfo testInfo) throws Throwable {
        super.testWriteWithFastOpenBeforeConnectDirectBufferReaderIndex(testInfo);
    }

    @Test
    @Timeout(30)
    @Override
    public void testWriteWithFastOpenBeforeConnectCompositeBuffer(TestInfo testInfo) throws Throwable {
        super.testWriteWithFastOpenBeforeConnectCompositeBuffer(testInfo);
    }

    @Test
    @Timeout(30)
    @Override
    public void testWriteWithFastOpenBeforeConnectCompositeBufferReaderIndex(TestInfo testInfo) throws Throwable {
        super.testWriteWithFastOpenBeforeConnectCompositeBufferReaderIndex(testInfo);
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

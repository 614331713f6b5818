package io.tapstack.netty.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.SocketShutdownOutputBySelfTest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.net.SocketAddress;
import java.util.List;

/** Netty's {@code SocketShutdownOutputBySelfTest} on tapstack. */
class TapstackSocketShutdownOutputBySelfTest extends SocketShutdownOutputBySelfTest {
    @Override
    protected SocketAddress newSocketAddress() {
        return TapstackSocketTestPermutation.kernelServerAddress();
    }

    @Override
    protected List<TestsuitePermutation.BootstrapFactory<Bootstrap>> newFactories() {
        return TapstackSocketTestPermutation.INSTANCE.clientSocket();
    }

    @Test
    @EnabledIfSystemProperty(named = "tapstack.testsuite", matches = "kernel",
            disabledReason = "its server is a java.net.ServerSocket in the kernel, which a client on tapstack cannot reach through local delivery (runs in the kernel permutation: mvn verify)")
    @Override
    public void testShutdownSoLingerNoAssertError(TestInfo testInfo) throws Throwable {
        super.testShutdownSoLingerNoAssertError(testInfo);
    }

    @Test
    @EnabledIfSystemProperty(named = "tapstack.testsuite", matches = "kernel",
            disabledReason = "its server is a java.net.ServerSocket in the kernel, which a client on tapstack cannot reach through local delivery (runs in the kernel permutation: mvn verify)")
    @Override
    public void testShutdownOutputAfterClosed(TestInfo testInfo) throws Throwable {
        super.testShutdownOutputAfterClosed(testInfo);
    }

    @Test
    @EnabledIfSystemProperty(named = "tapstack.testsuite", matches = "kernel",
            disabledReason = "its server is a java.net.ServerSocket in the kernel, which a client on tapstack cannot reach through local delivery (runs in the kernel permutation: mvn verify)")
    @Override
    public void testShutdownOutputSoLingerNoAssertError(TestInfo testInfo) throws Throwable {
        super.testShutdownOutputSoLingerNoAssertError(testInfo);
    }

    @Test
    @EnabledIfSystemProperty(named = "tapstack.testsuite", matches = "kernel",
            disabledReason = "its server is a java.net.ServerSocket in the kernel, which a client on tapstack cannot reach through local delivery (runs in the kernel permutation: mvn verify)")
    @Override
    public void testShutdownOutput(TestInfo testInfo) throws Throwable {
        super.testShutdownOutput(testInfo);
    }
}

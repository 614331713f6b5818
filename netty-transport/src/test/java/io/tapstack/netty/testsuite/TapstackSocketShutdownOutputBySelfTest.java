package io.tapstack.netty.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.SocketShutdownOutputBySelfTest;

import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.util.List;

/** Netty's {@code SocketShutdownOutputBySelfTest} on tapstack. */
class TapstackSocketShutdownOutputBySelfTest extends SocketShutdownOutputBySelfTest {
    @Override
    protected List<TestsuitePermutation.BootstrapFactory<Bootstrap>> newFactories() {
        return TapstackSocketTestPermutation.INSTANCE.clientSocket();
    }

    @Test
    @Disabled("its server is a java.net.ServerSocket in the kernel, which a client on tapstack cannot reach through local delivery (needs the TAP permutation)")
    @Override
    public void testShutdownSoLingerNoAssertError(TestInfo testInfo) {
    }

    @Test
    @Disabled("its server is a java.net.ServerSocket in the kernel, which a client on tapstack cannot reach through local delivery (needs the TAP permutation)")
    @Override
    public void testShutdownOutputAfterClosed(TestInfo testInfo) {
    }

    @Test
    @Disabled("its server is a java.net.ServerSocket in the kernel, which a client on tapstack cannot reach through local delivery (needs the TAP permutation)")
    @Override
    public void testShutdownOutputSoLingerNoAssertError(TestInfo testInfo) {
    }

    @Test
    @Disabled("its server is a java.net.ServerSocket in the kernel, which a client on tapstack cannot reach through local delivery (needs the TAP permutation)")
    @Override
    public void testShutdownOutput(TestInfo testInfo) {
    }
}

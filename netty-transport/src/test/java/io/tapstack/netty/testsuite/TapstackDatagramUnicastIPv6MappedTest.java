package io.tapstack.netty.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.DatagramUnicastIPv6MappedTest;

import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.util.List;

/** Netty's {@code DatagramUnicastIPv6MappedTest} on tapstack: both datagram channels on one host, over local delivery. */
class TapstackDatagramUnicastIPv6MappedTest extends DatagramUnicastIPv6MappedTest {
    @Override
    protected List<TestsuitePermutation.BootstrapComboFactory<Bootstrap, Bootstrap>> newFactories() {
        return TapstackSocketTestPermutation.INSTANCE.datagram();
    }

    @Test
    @Disabled("an empty datagram is not delivered as an empty DatagramPacket yet (open work)")
    @Override
    public void testReceiveEmptyDatagrams(TestInfo testInfo) {
    }

    @Test
    @Disabled("sending on a datagram channel never bound is not supported yet (open work)")
    @Override
    public void testSimpleSendWithoutBind(TestInfo testInfo) {
    }

    @Test
    @Disabled("the failure for an unresolved recipient differs from NIO's (open work)")
    @Override
    public void testSendToUnresolvableAddress(TestInfo testInfo) {
    }
}

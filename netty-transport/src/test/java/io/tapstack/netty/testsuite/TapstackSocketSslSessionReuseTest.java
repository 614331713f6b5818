package io.tapstack.netty.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.SocketSslSessionReuseTest;

import io.netty.handler.ssl.SslContextBuilder;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.net.SocketAddress;
import java.util.List;

/** Netty's {@code SocketSslSessionReuseTest} on tapstack: client and server on one host, over local delivery. */
class TapstackSocketSslSessionReuseTest extends SocketSslSessionReuseTest {
    @Override
    protected SocketAddress newSocketAddress() {
        return TapstackSocketTestPermutation.serverAddress(sb);
    }

    @Override
    protected List<TestsuitePermutation.BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return TapstackSocketTestPermutation.INSTANCE.socket();
    }

    @Test
    @Disabled("its OpenSSL case needs netty-tcnative, which is not a dependency here (the transport is not involved)")
    @Override
    public void testSslSessionTrustManagerResumption(SslContextBuilder serverCtx, SslContextBuilder clientCtx,
                                                     TestInfo testInfo) {
    }
}

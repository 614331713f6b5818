package io.tapstack.bench;

import io.tapstack.ip.IcmpCounter;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class IcmpEchoBenchTest {
    @Test
    void everyInvocationIsOneAnsweredPing() {
        IcmpEchoBench b = new IcmpEchoBench();
        b.setup();
        long requests = b.b.icmp().counters().get(IcmpCounter.RX_ECHO_REQUEST);
        long replies = b.a.icmp().counters().get(IcmpCounter.RX_ECHO_REPLY);
        for (int i = 0; i < 1000; i++) {
            b.echo();
        }
        assertEquals(requests + 1000, b.b.icmp().counters().get(IcmpCounter.RX_ECHO_REQUEST));
        assertEquals(replies + 1000, b.a.icmp().counters().get(IcmpCounter.RX_ECHO_REPLY));
        assertEquals(b.a.pool().totalSmall(), b.a.pool().availableSmall(), "every buffer back in A's pool");
        assertEquals(b.b.pool().totalSmall(), b.b.pool().availableSmall(), "every buffer back in B's pool");
    }
}

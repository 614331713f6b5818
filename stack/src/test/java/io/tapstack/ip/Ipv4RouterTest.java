package io.tapstack.ip;

import io.tapstack.wire.Checksum;
import io.tapstack.wire.Ipv4Header;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class Ipv4RouterTest {
    /** RFC 1624's incremental update gives what a full recomputation gives (and verifies to 0). */
    @Test
    void ttlDecrementKeepsTheChecksumRight() {
        Random rnd = new Random(1624);
        ByteBuffer b = ByteBuffer.allocate(64);
        for (int i = 0; i < 100_000; i++) {
            int ttl = 2 + rnd.nextInt(254);
            Ipv4Header.emit(b, 4, rnd.nextInt(256), 20 + rnd.nextInt(1480), rnd.nextInt(0x10000), rnd.nextInt(0x10000),
                    ttl, rnd.nextInt(256), rnd.nextInt(), rnd.nextInt());
            Ipv4Router.decrementTtl(b, 4);
            assertEquals(ttl - 1, b.get(4 + Ipv4Header.TTL) & 0xff);
            int inc = b.getShort(4 + Ipv4Header.CHECKSUM) & 0xffff;
            assertEquals(0, Checksum.compute(b, 4, 20), "header verifies after the update");
            b.putShort(4 + Ipv4Header.CHECKSUM, (short) 0);
            int full = Checksum.compute(b, 4, 20);
            // RFC 1624 §3: eqn. 3 never yields 0xffff... except where the full sum is 0x0000 (both mean zero)
            assertEquals(full == 0 ? 0 : full, inc == 0xffff ? 0 : inc);
        }
    }
}

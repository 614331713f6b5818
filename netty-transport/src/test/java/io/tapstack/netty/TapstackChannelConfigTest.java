package io.tapstack.netty;

import static io.netty.channel.ChannelOption.*;
import static org.junit.jupiter.api.Assertions.*;

import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The options each channel's config offers beyond Netty's own (what {@code getOptions()} lists
 * and {@code getOption}/{@code setOption} answer), on channels not yet registered: each set value
 * reads back, an option of another kind of channel is refused, bad sizes throw as before.
 */
class TapstackChannelConfigTest {
    /** Netty's own options, which DefaultChannelConfig handles. */
    private static Set<ChannelOption<?>> nettyOptions() {
        EmbeddedChannel ch = new EmbeddedChannel();
        try {
            return new DefaultChannelConfig(ch).getOptions().keySet();
        } finally {
            ch.close();
        }
    }

    /** Sets every value, checks setOption's answer and that getOption and getOptions read it back. */
    private static void roundTrip(ChannelConfig c, Map<ChannelOption<?>, Object> values) {
        Set<ChannelOption<?>> own = new HashSet<>(c.getOptions().keySet());
        own.removeAll(nettyOptions());
        assertEquals(values.keySet(), own, "the channel's own options");
        for (Map.Entry<ChannelOption<?>, Object> e : values.entrySet()) {
            @SuppressWarnings("unchecked")
            ChannelOption<Object> o = (ChannelOption<Object>) e.getKey();
            assertNotEquals(e.getValue(), c.getOption(o), o + " starts elsewhere");
            assertTrue(c.setOption(o, e.getValue()), o.name());
            assertEquals(e.getValue(), c.getOption(o), o.name());
            assertEquals(e.getValue(), c.getOptions().get(o), o.name());
        }
        assertTrue(c.setOption(AUTO_READ, false), "Netty's own options still reach DefaultChannelConfig");
        assertFalse(c.isAutoRead());
    }

    @Test
    void socketChannel() {
        TapstackSocketChannelConfig c = new TapstackSocketChannel().config();
        assertEquals(Boolean.TRUE, c.getOption(TCP_NODELAY), "Nagle off by default");
        Map<ChannelOption<?>, Object> v = new LinkedHashMap<>();
        v.put(SO_RCVBUF, 32 * 1024);
        v.put(SO_SNDBUF, 48 * 1024);
        v.put(TCP_NODELAY, false);
        v.put(SO_KEEPALIVE, true);
        v.put(SO_REUSEADDR, true);
        v.put(SO_LINGER, 0);
        v.put(IP_TOS, 0x10);
        v.put(ALLOW_HALF_CLOSURE, true);
        roundTrip(c, v);
        assertEquals(32 * 1024, c.opts.receiveBufferSize, "applied when the connection opens");
        assertFalse(c.opts.noDelay);
        assertFalse(c.setOption(SO_BACKLOG, 5), "a listener's option");
        assertNull(c.getOption(SO_BACKLOG));
        assertThrows(IllegalArgumentException.class, () -> c.setOption(SO_SNDBUF, 0));
        // Netty's setters return this config's type (compiles only so)
        TapstackSocketChannelConfig same = c.setAutoRead(false).setWriteSpinCount(4).setReuseAddress(false);
        assertSame(c, same);
    }

    @Test
    void serverSocketChannel() {
        TapstackServerSocketChannelConfig c = new TapstackServerSocketChannel().config();
        Map<ChannelOption<?>, Object> v = new LinkedHashMap<>();
        v.put(SO_RCVBUF, 64 * 1024);
        v.put(SO_REUSEADDR, true);
        v.put(SO_BACKLOG, 7);
        roundTrip(c, v);
        assertFalse(c.setOption(TCP_NODELAY, false), "a connection's option");
        assertThrows(IllegalArgumentException.class, () -> c.setOption(SO_BACKLOG, -1));
        assertThrows(IllegalArgumentException.class, () -> c.setOption(SO_RCVBUF, 0));
        assertSame(c, c.setAutoRead(false).setBacklog(3));
    }

    @Test
    void datagramChannel() {
        TapstackDatagramChannelConfig c = new TapstackDatagramChannel().config();
        Map<ChannelOption<?>, Object> v = new LinkedHashMap<>();
        v.put(SO_RCVBUF, 4096);
        v.put(SO_SNDBUF, 8192);
        v.put(IP_TOS, 0x20);
        v.put(SO_REUSEADDR, true);
        v.put(SO_BROADCAST, true);
        v.put(IP_MULTICAST_LOOP_DISABLED, true);
        v.put(IP_MULTICAST_TTL, 5);
        roundTrip(c, v);
        assertFalse(c.setOption(SO_BACKLOG, 5));
        assertSame(c, c.setAutoRead(false).setBroadcast(false));
    }
}

package io.tapstack.ip;

import io.tapstack.TwoHosts;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class IcmpPingTest {
    @Test
    void echoIsAnsweredWithSameIdSeqAndData() {
        TwoHosts h = new TwoHosts();
        List<int[]> replies = new ArrayList<>();
        List<byte[]> data = new ArrayList<>();
        h.a.icmp().setEchoListener((src, id, seq, buf, off, len, now) -> {
            replies.add(new int[] {src, id, seq});
            byte[] d = new byte[len];
            buf.get(off, d);
            data.add(d);
        });
        byte[] payload = new byte[56];
        Arrays.fill(payload, (byte) 0x5a);
        h.a.icmp().sendEchoRequest(TwoHosts.IP_B, 0x1234, 7, payload);
        h.settle();
        assertEquals(1, replies.size());
        assertArrayEquals(new int[] {TwoHosts.IP_B, 0x1234, 7}, replies.get(0));
        assertArrayEquals(payload, data.get(0));
    }
}

package io.tapstack.service;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The iperf3 control JSON: the parameters we accept, the results we send, the input we refuse. */
class Iperf3JsonTest {
    /** What an iperf3 3.x client sends for {@code iperf3 -c host -P 4 -R -l 64K -t 10}. */
    static final String CLIENT_PARAMS = "{\"tcp\":true,\"omit\":0,\"time\":10,\"num\":0,\"blockcount\":0,"
            + "\"parallel\":4,\"reverse\":true,\"len\":65536,\"pacing_timer\":1000,\"client_version\":\"3.12\"}";

    @Test
    void paramsOfARealClient() {
        Iperf3Json.Params p = Iperf3Json.params(CLIENT_PARAMS);
        assertFalse(p.denied());
        assertEquals(4, p.parallel());
        assertTrue(p.reverse());
        assertEquals(65536, p.blockLen());
        assertEquals(0, p.byteLimit());
    }

    @Test
    void defaultsLimitsAndClamps() {
        Iperf3Json.Params p = Iperf3Json.params("{}");
        assertEquals(new Iperf3Json.Params(false, 1, false, 128 * 1024, 0), p);
        assertEquals(5_000_000, Iperf3Json.params("{\"num\":5000000,\"blockcount\":3}").byteLimit());
        assertEquals(3 * 1000, Iperf3Json.params("{\"blockcount\":3,\"len\":1000}").byteLimit());
        assertEquals(128, Iperf3Json.params("{\"parallel\":1000}").parallel());
        assertEquals(1, Iperf3Json.params("{\"parallel\":-3}").parallel());
        assertEquals(1 << 20, Iperf3Json.params("{\"len\":1e9}").blockLen());
        assertEquals(1, Iperf3Json.params("{\"len\":0}").blockLen());
        // booleans as numbers and numbers as booleans, as the old reader took them
        assertTrue(Iperf3Json.params("{\"reverse\":1}").reverse());
        assertFalse(Iperf3Json.params("{\"reverse\":0}").reverse());
        assertEquals(1, Iperf3Json.params("{\"parallel\":true}").parallel());
        assertEquals(Long.MAX_VALUE, Iperf3Json.params("{\"num\":123456789012345678901234567890}").byteLimit());
        // a later duplicate key wins
        assertEquals(7, Iperf3Json.params("{\"parallel\":2,\"parallel\":7}").parallel());
    }

    @Test
    void udpSctpAndBidirectionalAreDenied() {
        assertTrue(Iperf3Json.params("{\"udp\":true,\"parallel\":2}").denied());
        assertTrue(Iperf3Json.params("{\"sctp\":1}").denied());
        assertTrue(Iperf3Json.params("{\"bidirectional\":true}").denied());
        assertFalse(Iperf3Json.params("{\"udp\":false,\"tcp\":true}").denied());
    }

    @Test
    void badInputIsRefused() {
        for (String bad : new String[] {"", "[1,2]", "42", "\"x\"", "{", "{\"a\":}", "{\"a\" 1}", "{} {}", "{} x",
                "{\"a\":\"unterminated}", "{'a':1}", "{\"a\":tru}"}) {
            assertThrows(IllegalArgumentException.class, () -> Iperf3Json.params(bad), bad);
        }
        String deep = "{\"a\":".repeat(40) + "1" + "}".repeat(40);
        assertThrows(IllegalArgumentException.class, () -> Iperf3Json.parse(deep));
        String ok = "{\"a\":".repeat(20) + "1" + "}".repeat(20);
        Iperf3Json.parse(ok);
    }

    @Test
    void parsesEveryKindOfValue() {
        Object v = Iperf3Json.parse(" {\"s\":\"a\\n\\u00e9\\\"\",\"n\":null,\"t\":true,\"f\":false,\"x\":-1.5e2,\"l\":[1,{\"k\":[]}]} ");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals("a\n\u00e9\"", m.get("s"));
        assertTrue(m.containsKey("n"));
        assertNull(m.get("n"));
        assertEquals(Boolean.TRUE, m.get("t"));
        assertEquals(Boolean.FALSE, m.get("f"));
        assertEquals(-150.0, ((Number) m.get("x")).doubleValue());
        assertEquals(2, ((List<?>) m.get("l")).size());
    }

    @Test
    void clientResultsAreChecked() {
        Iperf3Json.checkResults("{\"cpu_util_total\":1.5,\"streams\":[{\"id\":1,\"bytes\":100}]}");
        assertThrows(IllegalArgumentException.class, () -> Iperf3Json.checkResults("{\"streams\":[}"));
    }

    @Test
    void resultsInTheShapeOfIperf3() {
        String normal = Iperf3Json.results(12.345678, false,
                List.of(new Iperf3Json.StreamResult(1, 1000, -1), new Iperf3Json.StreamResult(3, 2000, -1)), 10.0000005);
        assertEquals("{\"cpu_util_total\":12.3457,\"cpu_util_user\":12.3457,\"cpu_util_system\":0,\"sender_has_retransmits\":-1,"
                + "\"streams\":[{\"id\":1,\"bytes\":1000,\"retransmits\":-1,\"jitter\":0,\"errors\":0,\"packets\":0,\"start_time\":0,\"end_time\":10.000001},"
                + "{\"id\":3,\"bytes\":2000,\"retransmits\":-1,\"jitter\":0,\"errors\":0,\"packets\":0,\"start_time\":0,\"end_time\":10.000001}]}", normal);
        String reverse = Iperf3Json.results(0.00001, true, List.of(new Iperf3Json.StreamResult(1, 5, 7)), 1e-9);
        assertEquals("{\"cpu_util_total\":0.0000,\"cpu_util_user\":0.0000,\"cpu_util_system\":0,\"sender_has_retransmits\":1,"
                + "\"streams\":[{\"id\":1,\"bytes\":5,\"retransmits\":7,\"jitter\":0,\"errors\":0,\"packets\":0,\"start_time\":0,\"end_time\":0.000000}]}", reverse);
        // the same text String.format gave before
        double cpu = 123.456789;
        assertTrue(Iperf3Json.results(cpu, false, List.of(), 2).startsWith(
                String.format(java.util.Locale.ROOT, "{\"cpu_util_total\":%.4f,\"cpu_util_user\":%.4f,", cpu, cpu)));
        assertTrue(Iperf3Json.results(cpu, false, List.of(), 2).endsWith("\"streams\":[]}"));
    }
}

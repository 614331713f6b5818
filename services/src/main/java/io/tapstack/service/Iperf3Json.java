package io.tapstack.service;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.jr.ob.JSON;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON (RFC 8259) of iperf3's control connection, through jackson-jr: the client's
 * parameters in, the client's results checked, our results out in the shape of iperf3's
 * {@code send_results()}. Nesting is bounded; bad input is an {@link IllegalArgumentException}.
 * Used once per test, never on the data path.
 */
final class Iperf3Json {
    static final int MAX_DEPTH = 32;
    static final int MAX_STREAMS = 128;
    static final int MAX_BLOCK = 1 << 20;
    static final int DEFAULT_BLOCK = 128 * 1024;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
            // numbers exactly as %.4f / %.6f print them, never in exponent form
            .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
            .build();
    /** Duplicate keys: the last one wins, as iperf3's own reader (cJSON) lets a later one stand. */
    private static final JSON JSON_ = JSON.builder(FACTORY)
            .disable(JSON.Feature.FAIL_ON_DUPLICATE_MAP_KEYS)
            .build();

    /** What the server needs of the client's parameters. */
    record Params(boolean denied, int parallel, boolean reverse, int blockLen, long byteLimit) {
    }

    /** One stream's line in our results. */
    record StreamResult(int id, long bytes, long retransmits) {
    }

    private Iperf3Json() {
    }

    /**
     * Parses one JSON value (objects as {@code Map}, arrays as {@code List}, numbers as
     * {@code Number}, strings, booleans, null); trailing content is an error.
     */
    static Object parse(String text) {
        try (JsonParser p = FACTORY.createParser(text)) {
            Object v = JSON_.anyFrom(p);
            if (p.nextToken() != null) {
                throw new IllegalArgumentException("JSON: trailing characters at offset " + p.currentTokenLocation().getCharOffset());
            }
            return v;
        } catch (IOException e) {
            throw new IllegalArgumentException("JSON: " + e.getMessage(), e);
        }
    }

    /**
     * The client's parameters: UDP, SCTP and bidirectional tests are denied (only TCP, one
     * direction at a time, is offered); streams 1..128; block length 1 B..1 MiB (default
     * 128 KiB); a byte limit from {@code num}, else {@code blockcount} blocks, else none.
     */
    static Params params(String json) {
        if (!(parse(json) instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("parameters are not an object");
        }
        if (asBool(m, "udp") || asBool(m, "sctp") || asBool(m, "bidirectional")) {
            return new Params(true, 0, false, 0, 0);
        }
        int parallel = (int) Math.max(1, Math.min(MAX_STREAMS, asLong(m, "parallel", 1)));
        boolean reverse = asBool(m, "reverse");
        int blockLen = (int) Math.max(1, Math.min(MAX_BLOCK, asLong(m, "len", DEFAULT_BLOCK)));
        long num = asLong(m, "num", 0);
        long blocks = asLong(m, "blockcount", 0);
        long byteLimit = num > 0 ? num : blocks > 0 ? blocks * blockLen : 0;
        return new Params(false, parallel, reverse, blockLen, byteLimit);
    }

    /** The client's results: checked to be well-formed JSON, otherwise not needed. */
    static void checkResults(String json) {
        parse(json);
    }

    /**
     * Our results: CPU use in percent (total and user alike; system 0), whether the sender
     * (we, in reverse mode) reports retransmits, and each stream's bytes over {@code secs}.
     */
    static String results(double cpuPercent, boolean reverse, List<StreamResult> streams, double secs) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("cpu_util_total", fixed(cpuPercent, 4));
        r.put("cpu_util_user", fixed(cpuPercent, 4));
        r.put("cpu_util_system", 0);
        r.put("sender_has_retransmits", reverse ? 1 : -1);
        List<Object> list = new ArrayList<>(streams.size());
        for (StreamResult s : streams) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", s.id());
            m.put("bytes", s.bytes());
            m.put("retransmits", s.retransmits());
            m.put("jitter", 0);
            m.put("errors", 0);
            m.put("packets", 0);
            m.put("start_time", 0);
            m.put("end_time", fixed(secs, 6));
            list.add(m);
        }
        r.put("streams", list);
        try {
            return JSON_.asString(r);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code v} with {@code digits} decimals, rounded as {@code String.format("%.Nf")} rounds. */
    private static BigDecimal fixed(double v, int digits) {
        return new BigDecimal(v).setScale(digits, RoundingMode.HALF_UP);
    }

    /** A number (saturating, as a double would), or a boolean as 0/1; else {@code dflt}. */
    static long asLong(Map<?, ?> m, String k, long dflt) {
        Object v = m.get(k);
        if (v instanceof Integer || v instanceof Long) {
            return ((Number) v).longValue();
        }
        if (v instanceof Number n) {
            return (long) n.doubleValue();
        }
        return v instanceof Boolean b ? (b ? 1 : 0) : dflt;
    }

    /** A boolean, or a number other than 0. */
    static boolean asBool(Map<?, ?> m, String k) {
        Object v = m.get(k);
        return v instanceof Boolean b ? b : v instanceof Number n && n.doubleValue() != 0;
    }
}

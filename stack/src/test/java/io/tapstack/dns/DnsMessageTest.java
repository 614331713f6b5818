package io.tapstack.dns;

import io.tapstack.wire.IpAddr;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** RFC 1035 §4.1 messages: the query we write, and safe parsing of what servers send. */
class DnsMessageTest {
    /** A response to "a.example A" with an answer whose owner is a pointer to the question (0xc00c). */
    static byte[] response() {
        return HexFormat.of().parseHex(
                "1234" + "8180" + "0001" + "0001" + "0000" + "0000"
                + "0161076578616d706c6500" + "0001" + "0001"
                + "c00c" + "0001" + "0001" + "0000012c" + "0004" + "0a000050");
    }

    @Test
    void writesAQueryAsTheRfcLaysItOut() {
        ByteBuffer b = ByteBuffer.allocate(300);
        int n = DnsMessage.writeQuery(b, 0, 0x1234, "A.Example.", DnsMessage.TYPE_AAAA);
        assertEquals("1234" + "0100" + "0001" + "0000" + "0000" + "0000" + "0161076578616d706c6500" + "001c" + "0001",
                HexFormat.of().formatHex(b.array(), 0, n));
        assertThrows(IllegalArgumentException.class, () -> DnsMessage.writeQuery(b, 0, 1, "a..b", 1));
        assertThrows(IllegalArgumentException.class, () -> DnsMessage.writeQuery(b, 0, 1, "x".repeat(64) + ".test", 1));
        assertThrows(IllegalArgumentException.class, () -> DnsMessage.writeQuery(ByteBuffer.allocate(600), 0, 1,
                ("abcdefgh".repeat(7) + ".").repeat(5) + "test", 1));
    }

    @Test
    void parsesCompressedAnswers() {
        byte[] m = response();
        DnsMessage.Parsed p = DnsMessage.parse(ByteBuffer.wrap(m), 0, m.length);
        assertEquals(DnsMessage.Error.NONE, p.error);
        assertEquals(0x1234, p.id);
        assertEquals("a.example", p.question);
        assertEquals(1, p.answers.size());
        assertEquals("a.example", p.answers.get(0).name());
        assertEquals(300, p.answers.get(0).ttl());
        assertEquals(IpAddr.parse("10.0.0.80"), p.answers.get(0).address());
    }

    /**
     * Found by DnsFuzzTarget (regression input crash-04aee046…): an AAAA record holding
     * ::ffff:1.0.0.25 came out as the IPv4 address 1.0.0.25 (IpAddr keeps IPv4 as mapped). RFC 4291
     * §2.5.5.2: a mapped address is no IPv6 address; the record is skipped, the A record kept.
     */
    @Test
    void anAaaaRecordHoldingAnIpv4MappedAddressIsSkipped_rfc4291s2552() {
        byte[] m = HexFormat.of().parseHex(
                "1234" + "8180" + "0001" + "0002" + "0000" + "0000"
                + "0161076578616d706c6500" + "001c" + "0001"
                + "c00c" + "001c" + "0001" + "0000012c" + "0010" + "00000000000000000000ffff01000019"
                + "c00c" + "001c" + "0001" + "0000012c" + "0010" + "20010db8000000000000000000000001");
        DnsMessage.Parsed p = DnsMessage.parse(ByteBuffer.wrap(m), 0, m.length);
        assertEquals(DnsMessage.Error.NONE, p.error);
        assertEquals(1, p.skippedRecords);
        assertEquals(1, p.answers.size());
        assertEquals(IpAddr.parse("2001:db8::1"), p.answers.get(0).address());
    }

    @Test
    void pointerLoopsForwardPointersAndOverrunsAreMalformed() {
        byte[] loop = response();
        loop[27] = (byte) 0xc0; // the answer's owner points at itself
        loop[28] = 27;
        assertEquals(DnsMessage.Error.BAD_NAME, DnsMessage.parse(ByteBuffer.wrap(loop), 0, loop.length).error);
        byte[] forward = response();
        forward[28] = 40; // points after itself
        assertEquals(DnsMessage.Error.BAD_NAME, DnsMessage.parse(ByteBuffer.wrap(forward), 0, forward.length).error);
        byte[] out = response();
        out[27] = (byte) 0xff; // far outside the message
        assertEquals(DnsMessage.Error.BAD_NAME, DnsMessage.parse(ByteBuffer.wrap(out), 0, out.length).error);
        byte[] label = response();
        label[12] = 0x40; // extended label type
        assertEquals(DnsMessage.Error.BAD_NAME, DnsMessage.parse(ByteBuffer.wrap(label), 0, label.length).error);
        byte[] cut = response();
        assertEquals(DnsMessage.Error.TRUNCATED, DnsMessage.parse(ByteBuffer.wrap(cut), 0, cut.length - 1).error);
        byte[] rdlen = response();
        rdlen[38] = 5; // an A record of 5 bytes
        assertEquals(DnsMessage.Error.TRUNCATED, DnsMessage.parse(ByteBuffer.wrap(rdlen), 0, rdlen.length).error);
        byte[] query = response();
        query[2] = 0x01; // QR = 0: a query, not a response
        assertEquals(DnsMessage.Error.NOT_RESPONSE, DnsMessage.parse(ByteBuffer.wrap(query), 0, query.length).error);
    }

    @Test
    void aChainOfBackwardPointersEnds() {
        // 130 names, each a label and a pointer to the previous one: long chains are fine until 255 bytes
        ByteBuffer b = ByteBuffer.allocate(2000);
        b.put(new byte[12]);
        int prev = -1;
        int last = 0;
        for (int i = 0; i < 130; i++) {
            last = b.position();
            b.put((byte) 1).put((byte) 'x');
            if (prev < 0) {
                b.put((byte) 0);
            } else {
                b.put((byte) (0xc0 | prev >> 8)).put((byte) prev);
            }
            prev = last;
        }
        final int start = last;
        final int end = b.position();
        Exception e = assertThrows(Exception.class, () -> DnsMessage.readName(b, 0, end, start, new StringBuilder()));
        assertEquals("Malformed", e.getClass().getSimpleName()); // 130 labels of 2 bytes: over 255
        StringBuilder sb = new StringBuilder();
        int fiftieth = 12 + 3 + 49 * 4;
        int after = assertDoesNotThrow(() -> DnsMessage.readName(b, 0, end, fiftieth, sb));
        assertEquals(fiftieth + 4, after);
        assertEquals(51, sb.toString().split("\\.").length);
    }

    @Test
    void randomAndMutatedMessagesNeverThrow() {
        Random rnd = new Random(42);
        byte[] good = response();
        for (int i = 0; i < 50_000; i++) {
            byte[] m;
            if (i % 2 == 0) {
                m = new byte[rnd.nextInt(120)];
                rnd.nextBytes(m);
            } else {
                m = good.clone();
                for (int k = 0; k < 1 + rnd.nextInt(4); k++) {
                    m[rnd.nextInt(m.length)] = (byte) rnd.nextInt(256);
                }
            }
            DnsMessage.parse(ByteBuffer.wrap(m), 0, m.length); // must return, whatever it says
        }
    }
}

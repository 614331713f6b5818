package io.tapstack.dns;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tapstack.dhcp.DhcpMessage;

import java.nio.ByteBuffer;

/**
 * The two parsers of what a LAN's servers send: DNS responses (RFC 1035 §4.1, compression
 * §4.1.4) and DHCP messages (RFC 2131 §2, RFC 2132). Neither ever throws; what they accept obeys
 * the limits the rest of the stack relies on.
 */
class DnsFuzzTarget {

    @FuzzTest(maxDuration = "1h")
    void dnsResponse(byte[] data) {
        DnsMessage.Parsed p = DnsMessage.parse(ByteBuffer.wrap(data), 0, data.length);
        if (p.error != DnsMessage.Error.NONE) {
            return;
        }
        check(p.question == null || p.question.length() <= DnsMessage.MAX_NAME, "question too long");
        check(p.answers.size() <= DnsMessage.MAX_RECORDS, "too many records");
        check(p.negativeTtl <= 0xffff_ffffL, "negative TTL out of range");
        for (DnsMessage.Record r : p.answers) {
            check(r.name().length() <= DnsMessage.MAX_NAME, "name too long");
            check(r.ttl() >= 0 && r.ttl() <= 0x7fff_ffffL, "TTL out of range (RFC 2181 §8)");
            switch (r.type()) {
                case DnsMessage.TYPE_A -> check(r.address() != null && r.address().isV4(), "A without an IPv4 address");
                case DnsMessage.TYPE_AAAA -> check(r.address() != null && !r.address().isV4(), "AAAA without an IPv6 address");
                case DnsMessage.TYPE_CNAME -> check(r.target() != null && r.target().length() <= DnsMessage.MAX_NAME, "bad CNAME");
                default -> check(false, "unexpected record type " + r.type());
            }
        }
    }

    @FuzzTest(maxDuration = "1h")
    void dhcpMessage(byte[] data) {
        DhcpMessage m = new DhcpMessage();
        DhcpMessage.Error e = m.parse(ByteBuffer.wrap(data), 0, data.length);
        if (e != DhcpMessage.Error.NONE) {
            return;
        }
        check(data.length >= DhcpMessage.OPTIONS, "accepted a message shorter than its fixed part");
        check(m.messageType != 0, "accepted without a message type");
        check(m.prefixLength >= -1 && m.prefixLength <= 32, "prefix length " + m.prefixLength);
        check(m.dnsCount >= 0 && m.dnsCount <= DhcpMessage.MAX_DNS, "dns count " + m.dnsCount);
        check(m.leaseSeconds >= -1 && m.leaseSeconds <= 0xffff_ffffL, "lease");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}

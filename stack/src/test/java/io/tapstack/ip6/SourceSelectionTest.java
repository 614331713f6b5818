package io.tapstack.ip6;

import io.tapstack.TwoHosts;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.Ipv6InterfaceAddress;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** RFC 6724 §5 source address selection beyond rules 2, 3 and 8 alone. */
class SourceSelectionTest {

    static TwoHosts hostWith(String... addrs) {
        TwoHosts h = new TwoHosts(1500, -1, c -> c.dadTransmits = 0);
        for (String a : addrs) {
            h.b.config().ipv6.add(Ipv6InterfaceAddress.parse(a));
        }
        h.settle();
        return h;
    }

    static IpAddr source(TwoHosts h, String dst) {
        IpAddr d = IpAddr.parse(dst);
        LocalAddress a = h.b.ipv6().selectSource(d.hi(), d.lo());
        return IpAddr.of(a.hi(), a.lo());
    }

    @Test
    void rule6PrefersAMatchingLabelOverALongerPrefix_rfc6724s5() {
        // 2001::/32 (Teredo) has label 5; 2001:1::1 and 2400::2 have label 1. Rule 8 alone would pick
        // 2001::2 (31 common bits against 5); rule 6 comes first.
        TwoHosts h = hostWith("2001::2/64", "2400::2/64");
        assertEquals(IpAddr.parse("2400::2"), source(h, "2001:1::1"));
        // and for a Teredo destination, the Teredo source
        assertEquals(IpAddr.parse("2001::2"), source(h, "2001:0:5ef5:79fd::1"));
        // 6to4 (label 2) to 6to4
        TwoHosts g = hostWith("2002:c000:204::2/64", "2001:db8::2/64");
        assertEquals(IpAddr.parse("2002:c000:204::2"), source(g, "2002:c633:6401::1"));
    }

    @Test
    void rule1TheSameAddressWinsEvenIfDeprecated_rfc6724s5() {
        TwoHosts h = hostWith("2001:db8::5/64", "2001:db8::6/64");
        IpAddr five = IpAddr.parse("2001:db8::5");
        h.b.ipv6().find(five.hi(), five.lo()).setState(LocalAddress.State.DEPRECATED);
        assertEquals(five, source(h, "2001:db8::5"), "rule 1 comes before rule 3");
        assertEquals(IpAddr.parse("2001:db8::6"), source(h, "2001:db8::7"), "otherwise rule 3 avoids it");
    }

    @Test
    void defaultPolicyTableLabels_rfc6724s21() {
        String[][] cases = {{"::1", "0"}, {"2001:db8::1", "1"}, {"2002::1", "2"}, {"::10.0.0.1", "3"},
                {"::ffff:10.0.0.1", "4"}, {"2001::1", "5"}, {"fec0::1", "11"}, {"3ffe::1", "12"}, {"fd00::1", "13"},
                {"fc00::1", "13"}, {"fe80::1", "1"}, {"ff02::1", "1"}};
        for (String[] c : cases) {
            IpAddr a = IpAddr.parse(c[0]);
            assertEquals(Integer.parseInt(c[1]), Ipv6.policyLabel(a.hi(), a.lo()), c[0]);
        }
    }
}

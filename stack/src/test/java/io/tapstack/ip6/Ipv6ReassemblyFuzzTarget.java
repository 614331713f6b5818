package io.tapstack.ip6;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tapstack.FragmentPlan;
import io.tapstack.Frames;
import io.tapstack.wire.Ipv6FragmentHeader;
import io.tapstack.wire.Ipv6Header;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * IPv6 reassembly (RFC 8200 §4.5, RFC 5722 overlaps, RFC 7112 first fragment) through a whole
 * stack: a UDP datagram cut by the fuzzer into fragments in any order, with duplicates,
 * overlaps, lying flags and false content. What the socket receives is the original or nothing;
 * honest fragments that cover it are always reassembled; nothing leaks (see {@link FragmentPlan}).
 */
class Ipv6ReassemblyFuzzTarget {

    @FuzzTest(maxDuration = "1h", maxExecutions = 10_000_000)
    void reassembly(FuzzedDataProvider in) {
        FragmentPlan plan = FragmentPlan.from(in, true);
        FragmentPlan.Host host = new FragmentPlan.Host();
        List<byte[]> got = new ArrayList<>();
        for (FragmentPlan.Fragment f : plan.fragments) {
            got.addAll(host.inject(frame(f)));
            host.clock.advance(in.consumeInt(0, 1000) * 1_000_000L);
        }
        plan.check(got, plan.mustReassemble());
        host.finish();
    }

    private static byte[] frame(FragmentPlan.Fragment f) {
        ByteBuffer p = ByteBuffer.allocate(Ipv6FragmentHeader.LENGTH + f.data().length);
        Ipv6FragmentHeader.emit(p, 0, Ipv6Header.NH_UDP, f.offset(), f.more(), f.ident());
        p.put(Ipv6FragmentHeader.LENGTH, f.data());
        return Frames.ipv6(FragmentPlan.MAC_B, FragmentPlan.MAC_A, FragmentPlan.G_HI, 1, FragmentPlan.G_HI, 2,
                Ipv6Header.NH_FRAGMENT, 64, p.array());
    }
}

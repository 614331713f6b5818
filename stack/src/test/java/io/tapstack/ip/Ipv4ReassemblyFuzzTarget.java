package io.tapstack.ip;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tapstack.FragmentPlan;
import io.tapstack.Frames;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.Ipv4Header;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * IPv4 reassembly (RFC 791 §3.2, RFC 815, RFC 1122 §3.3.2) through a whole stack: a UDP
 * datagram cut by the fuzzer into fragments in any order, with duplicates, overlaps, lying
 * flags and false content. What the socket receives is the original or nothing; honest
 * fragments that cover it are always reassembled; nothing leaks (see {@link FragmentPlan}).
 */
class Ipv4ReassemblyFuzzTarget {

    @FuzzTest(maxDuration = "1h", maxExecutions = 10_000_000)
    void reassembly(FuzzedDataProvider in) {
        FragmentPlan plan = FragmentPlan.from(in, false);
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
        ByteBuffer p = ByteBuffer.allocate(Ipv4Header.MIN_LENGTH + f.data().length);
        int flagsFrag = (f.more() ? Ipv4Header.FLAG_MF : 0) | (f.offset() / 8);
        Ipv4Header.emit(p, 0, 0, p.capacity(), f.ident() & 0xffff, flagsFrag, 64, Ipv4Header.PROTO_UDP,
                FragmentPlan.IP_A, FragmentPlan.IP_B);
        p.put(Ipv4Header.MIN_LENGTH, f.data());
        assert Checksum.compute(p, 0, Ipv4Header.MIN_LENGTH) == 0;
        return Frames.eth(FragmentPlan.MAC_B, FragmentPlan.MAC_A, EthernetFrame.TYPE_IPV4, p.array());
    }
}

package io.tapstack.ip6;

import io.tapstack.context.LinkOutput;
import io.tapstack.context.StackConfig;
import io.tapstack.context.StackContext;
import io.tapstack.stats.Counters;
import io.tapstack.wire.NdpOptions;

/**
 * What every part of Neighbor Discovery shares: the {@link Ndp} façade, through which the parts
 * reach each other ({@code nd.nud}, {@code nd.rd}, ...), the interface's context, link, IPv6 and
 * configuration, the {@code ndp.*} counters, and the options view of the ND message being
 * processed (one per interface, reused: no allocation per packet).
 */
abstract class NdPart {
    final Ndp nd;
    final StackContext ctx;
    final LinkOutput link;
    final Ipv6 ipv6;
    final StackConfig config;
    final Counters<NdpCounter> counters;
    final NdpOptions opts;

    NdPart(Ndp nd) {
        this.nd = nd;
        this.ctx = nd.ctx;
        this.link = nd.link;
        this.ipv6 = nd.ipv6;
        this.config = nd.config;
        this.counters = nd.counters;
        this.opts = nd.opts;
    }
}

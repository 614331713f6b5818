/**
 * What a protocol may see of the stack that owns it: small interfaces that
 * {@link io.tapstack.NetStack} implements and hands to each protocol at construction, and the
 * configuration ({@link io.tapstack.context.StackConfig}) that protocols read.
 *
 * <ul>
 *   <li>{@link io.tapstack.context.StackContext} — time of the current pass, timers, packet
 *       buffers, random numbers, the counter registry (every protocol);</li>
 *   <li>{@link io.tapstack.context.LinkOutput} — the Ethernet link below the network layer
 *       (ARP, IPv4, IPv6, Neighbor Discovery);</li>
 *   <li>{@link io.tapstack.context.NeighbourOutput} — IPv4's next-hop resolution (ARP);</li>
 *   <li>{@link io.tapstack.context.IpOutput} — the network layer as transports see it (UDP,
 *       TCP).</li>
 * </ul>
 *
 * <p>A leaf package: it imports only the low layers ({@code wire}, {@code buffer}, {@code loop},
 * {@code stats}), never a protocol, so every protocol can depend on it without a package cycle
 * (DESIGN.md: "a protocol gets a narrow context interface for what it needs … never the whole
 * stack object"). Every call is a plain interface call on an object set at construction: no
 * allocation per packet.
 */
package io.tapstack.context;

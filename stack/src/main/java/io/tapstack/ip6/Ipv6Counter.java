package io.tapstack.ip6;

/** IPv6 counters and drop reasons (cf. RFC 4293 ipSystemStats for IPv6, Linux's Ip6 in /proc/net/snmp6). */
public enum Ipv6Counter {
    RX, RX_DELIVERED, TX, TX_FRAGMENTED, TX_FRAGMENTS_CREATED,
    RX_FRAGMENTS, RX_ATOMIC_FRAGMENTS, REASSEMBLED, REASSEMBLY_TIMEOUT, RX_NO_NEXT_HEADER,
    DROP_TRUNCATED, DROP_BAD_VERSION, DROP_BAD_PAYLOAD_LENGTH, DROP_BAD_SRC_ADDRESS, DROP_BAD_DST_ADDRESS,
    DROP_NOT_FOR_US, DROP_TENTATIVE_DST, DROP_UNKNOWN_NEXT_HEADER, DROP_HBH_NOT_FIRST, DROP_BAD_EXT_HEADER,
    DROP_TOO_MANY_EXT_HEADERS, DROP_BAD_OPTION, DROP_UNKNOWN_OPTION, DROP_ROUTING_TYPE0, DROP_ROUTING_UNSUPPORTED,
    DROP_FRAG_BAD_LENGTH, DROP_FRAG_OVERSIZE, DROP_FRAG_OVERLAP, DROP_FRAG_DUPLICATE, DROP_FRAG_TOO_MANY,
    DROP_FRAG_LIMIT, DROP_FRAG_TIMEOUT, DROP_FRAG_INCOMPLETE_CHAIN,
    /** A datagram under reassembly discarded, oldest first, to make room for a new one at a bound (RFC 8900 §3.7). */
    DROP_FRAG_EVICTED,
    DROP_NO_ROUTE, DROP_NO_SOURCE, DROP_NO_BUFFER, DROP_TOO_BIG,
    // Router mode (RFC 8200, RFC 4443), counted on the interface the packet came in on:
    /** Packets forwarded. */
    FORWARDED,
    /** Hop limit would reach 0: Time Exceeded sent (RFC 4443 §3.3). */
    FWD_DROP_HOP_LIMIT,
    /** No route: Destination Unreachable (no route) sent (RFC 4443 §3.1). */
    FWD_DROP_NO_ROUTE,
    /** Larger than the next link's MTU: Packet Too Big sent, never fragmented in transit (RFC 8200 §5, RFC 4443 §3.2). */
    FWD_DROP_TOO_BIG,
    /** To a link-local address, or from one towards another link (RFC 4291 §2.5.6; beyond scope sent). */
    FWD_DROP_LINK_LOCAL,
    /** A unicast packet in a link-layer multicast frame (not forwarded, as Linux). */
    FWD_DROP_LINK_MULTICAST,
    /** Gauge: destinations the path MTU cache holds now (RFC 8201 §5.2; an expired entry leaves when next looked up). */
    PMTU_ENTRIES,
    /** Gauge: the lowest path MTU the cache holds (0 when it holds none; never below 1280, RFC 8201 §4). */
    PMTU_LOWEST
}

package io.tapstack.ip;

/** IPv4 counters and drop reasons (cf. RFC 4293 ipSystemStats and Linux's IpExt). */
public enum Ipv4Counter {
    RX, RX_DELIVERED, TX, TX_FRAGMENTED, TX_FRAGMENTS_CREATED,
    RX_FRAGMENTS, REASSEMBLED, REASSEMBLY_TIMEOUT,
    DROP_TRUNCATED, DROP_BAD_VERSION, DROP_BAD_IHL, DROP_BAD_TOTAL_LENGTH, DROP_BAD_CHECKSUM,
    DROP_BAD_SRC_ADDRESS, DROP_NOT_FOR_US, DROP_UNKNOWN_PROTOCOL, DROP_NO_ROUTE, DROP_DF_TOO_BIG,
    DROP_FRAG_OVERLAP, DROP_FRAG_DUPLICATE, DROP_FRAG_OVERSIZE, DROP_FRAG_BAD_LENGTH,
    DROP_FRAG_TOO_MANY, DROP_FRAG_LIMIT, DROP_FRAG_TIMEOUT, DROP_NO_BUFFER,
    /** A datagram under reassembly discarded, oldest first, to make room for a new one at a bound (RFC 8900 §3.7). */
    DROP_FRAG_EVICTED,
    // Router mode (RFC 1812 §5.2, §5.3), counted on the interface the datagram came in on:
    /** Datagrams forwarded (left by another or the same interface). */
    FORWARDED,
    /** Forwarded datagrams cut into fragments for the next hop's MTU (RFC 1812 §5.2.6). */
    FWD_FRAGMENTED,
    /** ICMP Redirects sent because a datagram left by the interface it came in on (RFC 1812 §5.2.7.2). */
    FWD_REDIRECT_SENT,
    /** TTL would reach 0: Time Exceeded sent (RFC 1812 §5.3.1). */
    FWD_DROP_TTL_EXCEEDED,
    /** No route: Destination Unreachable (net) sent (RFC 1812 §5.2.7.1). */
    FWD_DROP_NO_ROUTE,
    /** Larger than the next hop's MTU with DF set: Fragmentation Needed sent (RFC 1191 §4). */
    FWD_DROP_DF_TOO_BIG,
    /** Arrived in a link-layer broadcast or multicast frame (RFC 1812 §5.3.4). */
    FWD_DROP_LINK_BROADCAST,
    /** To the limited broadcast, a directed broadcast or a multicast group (RFC 1812 §5.3.5; no multicast routing). */
    FWD_DROP_BROADCAST,
    /** To 0.0.0.0/8, 127.0.0.0/8 or 240.0.0.0/4 (RFC 1812 §5.3.7). */
    FWD_DROP_MARTIAN,
    /** From or to 169.254.0.0/16 (RFC 3927 §2.7: link-local, never forwarded). */
    FWD_DROP_LINK_LOCAL,
    /** Forwarded datagrams whose next hop did not answer ARP: host unreachable sent (RFC 1812 §5.2.7.1), counted on the out interface. */
    FWD_HOST_UNREACHABLE
}

package io.tapstack.ip6;

/** Neighbor Discovery, DAD, SLAAC and MLD counters and drop reasons. */
public enum NdpCounter {
    RX_NS, RX_NA, RX_RS, RX_RA, RX_REDIRECT, RX_MLD_QUERY, RX_MLD_OTHER,
    TX_NS, TX_NA, TX_RS, TX_MLD_REPORT,
    DROP_BAD_HOP_LIMIT, DROP_BAD_CODE, DROP_TRUNCATED, DROP_BAD_OPTION, DROP_BAD_TARGET, DROP_BAD_SOURCE,
    DROP_BAD_DESTINATION, DROP_SOLICITED_TO_MULTICAST, DROP_SLLA_FROM_UNSPECIFIED,
    NS_NOT_FOR_US, NA_NO_ENTRY, NA_IGNORED, RS_IGNORED, REDIRECT_IGNORED,
    LEARNED, UPDATED, CONFIRMED, RESOLUTION_FAILED, DROP_CACHE_FULL, DROP_PENDING_FULL, DROP_PENDING_FAILED,
    DAD_STARTED, DAD_SUCCEEDED, DAD_DUPLICATE, ADDRESS_CONFLICT, ADDRESS_EXPIRED, ADDRESS_DEPRECATED,
    SLAAC_ADDRESSES, SLAAC_IGNORED, ROUTERS_ADDED, ROUTERS_REMOVED, PREFIXES_ADDED, PREFIXES_REMOVED,
    MTU_UPDATED, DROP_NO_BUFFER,
    /** Unsolicited Neighbor Advertisements for an address that became usable (RFC 4861 §7.2.6). */
    TX_UNSOLICITED_NA,
    /** MLDv2 State Change Reports sent again, Robustness Variable − 1 times (RFC 3810 §6.1). */
    TX_MLD_RETRANSMIT,
    /** Redirects accepted into the destination cache (RFC 4861 §8.3). */
    REDIRECT_ACCEPTED,
    /** Router Advertisements sent by a router interface (RFC 4861 §6.2). */
    TX_RA,
    /** RFC 8106 RDNSS options taken, malformed ones dropped, servers whose lifetime ran out. */
    RDNSS_UPDATED, DROP_BAD_RDNSS, RDNSS_EXPIRED,
    /** A neighbour entry, the least recently updated, dropped from a full cache for a new one. */
    EVICTED,
    /** A new default router or on-link prefix from an RA not taken: the list is at its bound (RFC 4861 §6.3.4 lets a host limit both). */
    DROP_ROUTERS_FULL, DROP_PREFIXES_FULL
}

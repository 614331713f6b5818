package io.tapstack.arp;

/** ARP counters and drop reasons. */
public enum ArpCounter {
    RX, TX_REQUEST, TX_REPLY, RX_REQUEST, RX_REPLY, GRATUITOUS_SENT, LEARNED, UPDATED,
    ADDRESS_CONFLICT, RESOLUTION_FAILED, PROBE_SENT, PROBE_CONFLICT,
    DROP_TRUNCATED, DROP_BAD_HTYPE, DROP_BAD_PTYPE, DROP_BAD_HLEN, DROP_BAD_PLEN, DROP_BAD_OPERATION,
    DROP_BAD_SENDER, DROP_PENDING_TIMEOUT, DROP_PENDING_FULL, DROP_CACHE_FULL,
    /** A resolved entry, the least recently confirmed, dropped from a full cache for a new one. */
    EVICTED
}

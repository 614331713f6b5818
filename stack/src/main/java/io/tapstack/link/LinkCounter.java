package io.tapstack.link;

/** Link-layer (Ethernet) counters and drop reasons. */
public enum LinkCounter {
    RX_FRAMES, RX_BYTES, TX_FRAMES, TX_BYTES, TX_GSO_SOFTWARE,
    DROP_RUNT, DROP_NOT_FOR_US, DROP_MULTICAST_FILTERED, DROP_UNKNOWN_ETHERTYPE, DROP_VLAN, DROP_BAD_VNET_HEADER,
    DROP_TX_LINK, DROP_NO_BUFFER, INTERNAL_ERROR,
    /** Datagrams the host sent to itself (local delivery, never on the link) and their drops. */
    LOCAL_DELIVERED, DROP_LOCAL_QUEUE_FULL,
    /** Received TCP segments software GRO merged into the one before them (IPv4 and IPv6). */
    RX_GRO_MERGED
}

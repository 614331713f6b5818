package io.tapstack.buffer;

/**
 * The {@code mem} counter group of a {@link MemoryBudget}: gauges first (current values, which a
 * multi-queue host sums), then transitions, then refusals by reason ({@code drop_*}).
 */
public enum MemCounter {
    /** The limit in bytes. */
    LIMIT,
    /** Bytes charged now, and by kind. */
    USED,
    USED_RINGS,
    USED_REASSEMBLY,
    USED_SYN_QUEUE,
    USED_CONNECTIONS,
    USED_TIME_WAIT,
    /** The most bytes ever charged at once. */
    PEAK,
    /** 1 while in PRESSURE (resp. HARD), else 0. */
    STATE_PRESSURE,
    STATE_HARD,
    /** Times the budget went from NORMAL to PRESSURE, and into HARD. */
    ENTERED_PRESSURE,
    ENTERED_HARD,
    /** A receive or send ring kept its size under pressure instead of doubling. */
    RING_GROWTH_REFUSED,
    /** A receive ring could not be had at the limit: the segment's data was dropped (the peer resends). */
    DROP_RCV_NO_MEMORY,
    /** Out-of-order data dropped under PRESSURE (it did not fill the first hole). */
    DROP_OOO_PRESSURE,
    /** Out-of-order data dropped at the limit. */
    DROP_OOO_HARD,
    /** A SYN dropped at the limit (no half-open connection, no cookie). */
    DROP_SYN,
    /** A valid SYN-cookie ACK dropped at the limit (no connection created). */
    DROP_COOKIE_ACK,
    /** An IPv4 or IPv6 fragment refused at the limit (a new datagram, or a buffer that had to grow). */
    DROP_REASSEMBLY
}

package io.tapstack.tcp;

/** TCP counters, like {@code netstat -s}: events, then drops by reason ({@code drop_*}). */
public enum TcpCounter {
    RX_SEGMENTS,
    TX_SEGMENTS, TX_TSO_SEGMENTS,
    ACTIVE_OPENS,
    PASSIVE_OPENS,
    FAILED_ATTEMPTS,
    ESTABLISHED_RESETS,
    CURR_ESTABLISHED_PEAK,
    RETRANSMITTED_SEGMENTS,
    FAST_RETRANSMITS,
    RTO_TIMEOUTS,
    SYN_RETRANSMITS,
    PERSIST_PROBES,
    KEEPALIVE_PROBES,
    KEEPALIVE_TIMEOUTS,
    USER_TIMEOUTS,
    CONNECTION_TIMEOUTS,
    DUP_ACKS,
    PARTIAL_ACKS,
    RECOVERY_EPISODES,
    /** RFC 6675 loss-recovery phases (a subset of RECOVERY_EPISODES). */
    SACK_RECOVERY_EPISODES,
    /** Segments resent by RFC 6675 NextSeg rules 1 and 3 (holes), and rule 4 rescues. */
    SACK_HOLES_RETRANSMITTED,
    SACK_RESCUE_RETRANSMITS,
    /** Un-SACKed segments resent after a timeout (RFC 6675 §5.1), SACKed ones skipped. */
    RTO_RECOVERY_RETRANSMITS,
    /** A retransmission of the first hole presumed lost (SACKs for later data, an RTT after it). */
    LOST_RETRANSMITS,
    /** Recoveries entered because data above a hole was SACKed a reordering window ago. */
    REORDER_WINDOW_LOSSES,
    /** RACK (RFC 8985 §6.2): segments marked lost by their transmit time. */
    RACK_MARKED_LOST,
    /** RACK reordering-window timer expiries (RFC 8985 §6.2 step 5). */
    RACK_REORDER_TIMEOUTS,
    /** Tail loss probes sent (RFC 8985 §7.3), of new data or the last segment. */
    TLP_PROBES,
    TLP_NEW_DATA_PROBES,
    /** A probe's retransmission repaired a lost tail (RFC 8985 §7.4): a cwnd reduction without an RTO. */
    TLP_RECOVERIES,
    /** Segments retransmitted in RACK/PRR recovery (RFC 8985 §6.2, RFC 6937). */
    RACK_RETRANSMITS,
    /** D-SACK blocks sent for duplicate segments (RFC 2883 §4). */
    DSACKS_SENT,
    /** D-SACK blocks received (RFC 2883 §4: the first block, below the ACK or inside the second). */
    DSACKS_RECEIVED,
    /** Retransmissions that the peer reported by D-SACK as duplicates (RFC 3708 §3). */
    SPURIOUS_RETRANSMITS,
    /** Congestion responses undone because every retransmission was spurious (D-SACK undo). */
    CWND_UNDOS,
    /** Retransmission timeouts found spurious (Eifel, RFC 3522, or F-RTO, RFC 5682) and undone (RFC 4015). */
    SPURIOUS_RTOS,
    /** Of SPURIOUS_RTOS: found by Eifel (RFC 3522, timestamps) and by F-RTO (RFC 5682, without). */
    SPURIOUS_RTOS_EIFEL, SPURIOUS_RTOS_FRTO,
    /** Receive-buffer auto-tuning: growths of a connection's receive buffer (and window). */
    RCV_BUFFER_GROWTHS,
    OUT_OF_ORDER_SEGMENTS,
    DUPLICATE_SEGMENTS,
    SACK_BLOCKS_SENT,
    SACK_BLOCKS_RECEIVED,
    DELAYED_ACKS,
    RSTS_SENT,
    RSTS_RECEIVED,
    CHALLENGE_ACKS,
    CHALLENGE_ACKS_SUPPRESSED,
    SYN_COOKIES_SENT,
    SYN_COOKIES_ACCEPTED,
    SYN_COOKIES_FAILED,
    LISTEN_OVERFLOWS,
    TIME_WAIT_REUSED,
    TIME_WAIT_RECYCLED,
    /** TIME-WAIT pairs held now, as records or full connections (a gauge: it falls as they expire). */
    TIME_WAIT_CURRENT,
    /** Connections whose TIME-WAIT was handed to a small record (issue 11, {@code TimeWaitTable}). */
    TIME_WAIT_RECORDS,
    /** RSTs ignored in TIME-WAIT (RFC 1337 §3). */
    TIME_WAIT_RST_IGNORED,
    PAWS_REJECTED,
    ABORT_ON_CLOSE,
    ZERO_WINDOW_ADVERTISED,
    PMTU_UPDATES,
    ICMP_SOFT_ERRORS,
    ICMP_HARD_ERRORS,
    /** ICMP errors quoting a connection with a sequence number not in flight: ignored (RFC 5927 §4.1). */
    ICMP_OUT_OF_WINDOW,
    /** ICMP errors quoting a TCP segment of no connection: ignored. */
    ICMP_NO_CONNECTION,
    /** Connections that negotiated ECN (RFC 3168 §6.1.1: an ECN-setup SYN and SYN-ACK). */
    ECN_NEGOTIATED,
    /** Segments of ECN connections that arrived with CE in the IP header (RFC 3168 §6.1.3). */
    CE_RECEIVED,
    /** Segments sent with ECE: the congestion echo, from a CE until the peer's CWR (RFC 3168 §6.1.3). */
    ECE_SENT,
    /** ACKs received with ECE on ECN connections (RFC 3168 §6.1.2). */
    ECE_RECEIVED,
    /** Congestion-window reductions in response to ECE, at most one per window of data (RFC 3168 §6.1.2). */
    ECN_REDUCTIONS,
    /** Segments sent with CWR after such a reduction (RFC 3168 §6.1.2). */
    CWR_SENT,
    /** Segments received with CWR, which end our ECE (RFC 3168 §6.1.3). */
    CWR_RECEIVED,
    /** Segments received with URG: their data is delivered inline, the pointer only counted (RFC 9293 §3.8.5, RFC 6093). */
    URGENT_RECEIVED,
    DROP_TRUNCATED,
    DROP_BAD_OFFSET,
    DROP_BAD_CHECKSUM,
    DROP_BAD_OPTIONS,
    DROP_BAD_OPTION_LENGTH_IGNORED,
    DROP_BROADCAST,
    DROP_BAD_PORT,
    DROP_NO_SOCKET,
    DROP_OUT_OF_WINDOW,
    DROP_ACK_TOO_OLD,
    DROP_ACK_UNSENT,
    DROP_PAWS,
    DROP_SYN_QUEUE_FULL,
    DROP_ACCEPT_QUEUE_FULL,
    DROP_OOO_QUEUE_FULL,
    DROP_NO_ACK,
    DROP_RST_OUT_OF_WINDOW,
    DROP_BAD_SYN_ACK,
    DROP_TIME_WAIT_LIMIT,
    DROP_NO_BUFFER,
    DROP_NO_ROUTE,
}

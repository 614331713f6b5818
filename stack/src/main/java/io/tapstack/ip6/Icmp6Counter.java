package io.tapstack.ip6;

/** ICMPv6 counters and drop reasons (cf. RFC 4293 icmpMsgStatsTable, Linux's Icmp6 in /proc/net/snmp6). */
public enum Icmp6Counter {
    RX, RX_ECHO_REQUEST, RX_ECHO_REPLY, RX_DEST_UNREACHABLE, RX_PACKET_TOO_BIG, RX_TIME_EXCEEDED,
    RX_PARAMETER_PROBLEM, RX_ND, RX_MLD, RX_OTHER,
    TX, TX_ECHO_REQUEST, TX_ECHO_REPLY, TX_DEST_UNREACHABLE, TX_PACKET_TOO_BIG, TX_TIME_EXCEEDED,
    TX_PARAMETER_PROBLEM,
    ERRORS_RATE_LIMITED, ERRORS_SUPPRESSED, PMTU_LOWERED,
    DROP_TRUNCATED, DROP_BAD_CHECKSUM, DROP_BAD_QUOTE, DROP_UNKNOWN_INFO, DROP_NO_BUFFER,
    /** Packet Too Big refused (path MTU unchanged, RFC 8201 §4): it quotes no connection, socket or echo we sent. */
    PTB_REFUSED_NO_FLOW,
    /** Packet Too Big refused: it quotes a TCP sequence number not in flight (RFC 5927 §4.1). */
    PTB_REFUSED_NOT_IN_FLIGHT,
    /** Packet Too Big refused: no transport for the quoted protocol can vouch for it. */
    PTB_REFUSED_NO_TRANSPORT
}

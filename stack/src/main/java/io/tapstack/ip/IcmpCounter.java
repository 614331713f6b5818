package io.tapstack.ip;

/** ICMP counters and drop reasons (cf. RFC 4293 icmpStatsTable, netstat -s). */
public enum IcmpCounter {
    RX, RX_ECHO_REQUEST, RX_ECHO_REPLY, RX_DEST_UNREACHABLE, RX_TIME_EXCEEDED, RX_OTHER,
    TX, TX_ECHO_REPLY, TX_ECHO_REQUEST, TX_DEST_UNREACHABLE, TX_TIME_EXCEEDED,
    ERRORS_RATE_LIMITED, ERRORS_SUPPRESSED,
    DROP_TRUNCATED, DROP_BAD_CHECKSUM, DROP_BROADCAST_ECHO, DROP_BAD_QUOTE, DROP_NO_BUFFER,
    /** Echo replies that carried the request's Record Route or Timestamp option (RFC 1122 §3.2.2.6). */
    TX_ECHO_REPLY_OPTIONS,
    /** Echo requests whose option list was malformed (the reply carries the options before the bad one). */
    ECHO_BAD_OPTION,
    /** Redirects sent by a router (RFC 1812 §5.2.7.2). */
    TX_REDIRECT,
    /** Fragmentation Needed accepted by the transport (TCP: quotes a sequence number in flight, RFC 5927 §4.1). */
    FRAG_NEEDED_ACCEPTED,
    /** Fragmentation Needed refused: it quotes no connection or socket of this host. */
    FRAG_NEEDED_REFUSED_NO_FLOW,
    /** Fragmentation Needed refused: it quotes a TCP sequence number not in flight (RFC 5927 §4.1). */
    FRAG_NEEDED_REFUSED_NOT_IN_FLIGHT,
    /** Fragmentation Needed refused: no transport for the quoted protocol can vouch for it. */
    FRAG_NEEDED_REFUSED_NO_TRANSPORT
}

package io.tapstack.ip;

/**
 * What a transport made of an ICMP or ICMPv6 error quoting a packet it may have sent. Only an
 * {@link #ACCEPTED} error may change state that other flows share, such as the IPv6 path MTU
 * towards the quoted destination: RFC 8201 §4 ("nodes SHOULD appropriately validate the payload
 * of ICMPv6 PTB messages to ensure these are received in response to transmitted traffic"),
 * RFC 5927 §4.1 and §5.2 for TCP.
 */
public enum IcmpVerdict {
    /**
     * The quote matches traffic the transport sent: a TCP connection whose unacknowledged
     * sequence space holds the quoted sequence number, a UDP socket bound to the quoted source,
     * an ICMPv6 echo message sent recently.
     */
    ACCEPTED,
    /** No connection, socket or message of this host sent the quoted packet. */
    NO_FLOW,
    /** A connection exists but the quoted sequence number is not in flight (RFC 5927 §4.1). */
    NOT_IN_FLIGHT,
    /** No transport for the quoted protocol, or one that takes no ICMP errors. */
    UNSUPPORTED
}

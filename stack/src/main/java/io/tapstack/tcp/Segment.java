package io.tapstack.tcp;

import io.tapstack.wire.TcpHeader;
import io.tapstack.wire.TcpOptions;

import java.nio.ByteBuffer;

/** The received segment being processed: parsed fields, reused for every segment. */
final class Segment {
    ByteBuffer buf;
    int seq;
    int ack;
    int flags;
    /** Raw (unscaled) window field. */
    int window;
    int dataOff;
    int dataLen;
    int ttl;
    /** The ECN field of the IP header (RFC 3168 §5): the low two bits of the TOS / traffic class. */
    int ecn;
    final TcpOptions opts = new TcpOptions();

    boolean syn() {
        return (flags & TcpHeader.SYN) != 0;
    }

    boolean fin() {
        return (flags & TcpHeader.FIN) != 0;
    }

    boolean rst() {
        return (flags & TcpHeader.RST) != 0;
    }

    boolean hasAck() {
        return (flags & TcpHeader.ACK_FLAG) != 0;
    }

    boolean ece() {
        return (flags & TcpHeader.ECE) != 0;
    }

    boolean cwr() {
        return (flags & TcpHeader.CWR) != 0;
    }

    /** SEG.LEN: data plus one for each of SYN and FIN (RFC 9293 §3.4). */
    int segLen() {
        return dataLen + (syn() ? 1 : 0) + (fin() ? 1 : 0);
    }
}

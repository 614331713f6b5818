package io.tapstack.tcp;

/**
 * A snapshot of one connection for {@code ss -ti}-like display. Times in microseconds.
 */
public record TcpInfo(TcpState state, String local, String remote, long rttMicros, long rttVarMicros,
                      long rtoMicros, int mss, int cwnd, int ssthresh, int bytesInFlight, int sendWindow,
                      int receiveWindow, int sendQueue, int receiveQueue, long retransmits,
                      int backoff, long bytesSent, long bytesReceived, String congestionControl,
                      boolean timestamps, boolean sack, int sendWscale, int receiveWscale) {
    /** One line in the style of {@code ss -tin}. */
    public String format() {
        return String.format("%-11s %d %d %s %s%n\t %s%s wscale:%d,%d rto:%.0f rtt:%.3f/%.3f mss:%d cwnd:%d ssthresh:%s"
                        + " bytes_sent:%d bytes_received:%d unacked:%d retrans:%d/%d snd_wnd:%d rcv_wnd:%d",
                state.ssName(), receiveQueue, sendQueue, local, remote,
                timestamps ? "ts " : "", sack ? "sack " + congestionControl : congestionControl,
                sendWscale, receiveWscale, rtoMicros / 1000.0, rttMicros / 1000.0, rttVarMicros / 1000.0, mss,
                mss > 0 ? cwnd / mss : cwnd, ssthresh >= (1 << 30) ? "inf" : String.valueOf(mss > 0 ? ssthresh / mss : ssthresh),
                bytesSent, bytesReceived, bytesInFlight, backoff, retransmits, sendWindow, receiveWindow);
    }
}

package io.tapstack.tcp;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 6298 estimator without a stack. */
class RttEstimatorTest {
    private static final long MS = 1_000_000L;

    private static RttEstimator est() {
        return new RttEstimator(1000 * MS, 200 * MS, 60_000 * MS);
    }

    @Test
    void firstSampleSetsSrttAndHalfVariance() {
        RttEstimator r = est();
        assertEquals(1000 * MS, r.rto()); // RFC 6298 §2.1 initial RTO
        r.sample(100 * MS);
        assertEquals(100 * MS, r.srtt());
        assertEquals(50 * MS, r.rttvar());
        assertEquals(300 * MS, r.rto()); // SRTT + 4·RTTVAR (§2.2)
    }

    @Test
    void laterSamplesSmoothWithAlphaAndBeta() {
        RttEstimator r = est();
        r.sample(100 * MS);
        r.sample(200 * MS);
        // RTTVAR = 3/4·50 + 1/4·|100−200| = 62.5; SRTT = 7/8·100 + 1/8·200 = 112.5 (§2.3)
        assertEquals(62_500_000L, r.rttvar());
        assertEquals(112_500_000L, r.srtt());
        assertEquals(112_500_000L + 4 * 62_500_000L, r.rto());
    }

    @Test
    void rtoIsClampedToMinimumAndMaximum() {
        RttEstimator r = est();
        r.sample(MS);
        assertEquals(200 * MS, r.rto()); // min RTO (§2.4 allows a lower bound)
        r.sample(-5); // ignored
        assertEquals(MS, r.srtt());
        RttEstimator big = est();
        big.sample(100_000 * MS);
        assertEquals(60_000 * MS, big.rto()); // §2.5 maximum
    }

    @Test
    void backoffDoublesUpToTheMaximumAndResets() {
        RttEstimator r = est();
        r.sample(100 * MS);
        r.backOff();
        assertEquals(600 * MS, r.rto());
        assertEquals(1, r.backoff());
        for (int i = 0; i < 20; i++) {
            r.backOff();
        }
        assertEquals(60_000 * MS, r.rto());
        r.resetBackoff();
        assertEquals(0, r.backoff());
        RttEstimator syn = est();
        syn.backOffSyn();
        assertEquals(0, syn.backoff());
        assertEquals(2000 * MS, syn.rto());
        syn.sample(10 * MS);
        syn.synWasRetransmitted(); // RFC 6298 §5.7
        assertEquals(3000 * MS, syn.rto());
    }

    @Test
    void karnTimedSegmentAcrossSequenceWrap() {
        RttEstimator r = est();
        int seq = 0xffff_fff0;
        r.startTiming(seq, 5 * MS);
        assertTrue(r.isTiming());
        assertEquals(-1, r.timedSample(seq, 6 * MS)); // does not cover the timed octet
        assertEquals(20 * MS, r.timedSample(seq + 0x20, 25 * MS)); // wraps past 2^32
        assertFalse(r.isTiming());
        r.startTiming(7, 30 * MS);
        r.stopTiming(); // Karn: retransmitted
        assertEquals(-1, r.timedSample(100, 40 * MS));
    }

    @Test
    void timestampSamples() {
        assertEquals(15 * MS, RttEstimator.timestampSample(115, 100));
        assertEquals(3 * MS, RttEstimator.timestampSample(1, -2)); // TSval wraps
        assertEquals(-1, RttEstimator.timestampSample(100, 101));
        assertEquals(-1, RttEstimator.timestampSample(700_000, 0));
    }

    @Test
    void handshakeSample() {
        RttEstimator r = est();
        r.startHandshake(10 * MS);
        r.handshakeSample(50 * MS);
        assertEquals(40 * MS, r.srtt());
    }
}

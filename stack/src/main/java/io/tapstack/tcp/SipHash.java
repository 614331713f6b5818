package io.tapstack.tcp;

/**
 * SipHash-2-4 (Aumasson &amp; Bernstein) over four 64-bit words: the keyed hash behind ISNs
 * (RFC 6528 §3), ephemeral ports (RFC 6056 §3.3.3), SYN cookies (RFC 4987 §3.6) and the
 * connection table's hash. Keeps its state in fields (no allocation), so one instance belongs
 * to one thread (the event loop).
 */
final class SipHash {
    private final long k0;
    private final long k1;
    private long v0;
    private long v1;
    private long v2;
    private long v3;

    SipHash(long k0, long k1) {
        this.k0 = k0;
        this.k1 = k1;
    }

    private void round() {
        v0 += v1;
        v1 = Long.rotateLeft(v1, 13);
        v1 ^= v0;
        v0 = Long.rotateLeft(v0, 32);
        v2 += v3;
        v3 = Long.rotateLeft(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = Long.rotateLeft(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = Long.rotateLeft(v1, 17);
        v1 ^= v2;
        v2 = Long.rotateLeft(v2, 32);
    }

    private void word(long m) {
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }

    long hash(long m0, long m1, long m2, long m3) {
        v0 = 0x736f6d6570736575L ^ k0;
        v1 = 0x646f72616e646f6dL ^ k1;
        v2 = 0x6c7967656e657261L ^ k0;
        v3 = 0x7465646279746573L ^ k1;
        word(m0);
        word(m1);
        word(m2);
        word(m3);
        word(32L << 56);
        v2 ^= 0xff;
        round();
        round();
        round();
        round();
        return v0 ^ v1 ^ v2 ^ v3;
    }
}

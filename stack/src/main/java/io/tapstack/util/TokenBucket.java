package io.tapstack.util;

/**
 * A token bucket on the loop's clock: {@code ratePerSecond} tokens a second, at most
 * {@code burst} saved up. Used to rate-limit ICMP and ICMPv6 errors (RFC 1812 §4.3.2.8,
 * RFC 4443 §2.4 (f)). Loop thread only.
 */
public final class TokenBucket {
    private final double ratePerNano;
    private final double burst;
    private double tokens;
    private long lastRefill;

    public TokenBucket(double ratePerSecond, double burst, long now) {
        this.ratePerNano = ratePerSecond / 1e9;
        this.burst = burst;
        this.tokens = burst;
        this.lastRefill = now;
    }

    /** Takes a token if one is there at time {@code now}. */
    public boolean take(long now) {
        long dt = now - lastRefill;
        if (dt > 0) {
            tokens = Math.min(burst, tokens + dt * ratePerNano);
            lastRefill = now;
        }
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }
}

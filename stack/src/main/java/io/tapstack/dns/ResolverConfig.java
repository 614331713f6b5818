package io.tapstack.dns;

/** Tunables of the stub resolver (the defaults are glibc's resolv.conf ones where it has them). */
public final class ResolverConfig {
    /** Wait for an answer from one server before trying the next (resolv.conf timeout: 5 s). */
    public long timeoutNanos = 2_000_000_000L;
    /** Rounds over the server list (resolv.conf attempts: 2). */
    public int attempts = 2;
    /** Cached names (positive and negative together); the least recently used goes first. */
    public int cacheEntries = 512;
    /** Upper bound on any TTL kept (a server may say more), and on negative TTLs (RFC 2308 §5: 1–3 h). */
    public long maxTtlSeconds = 86_400;
    public long maxNegativeTtlSeconds = 3_600;
    /** CNAMEs followed for one name (RFC 1034 §3.6.2 chains; a bound against loops). */
    public int maxCnameChain = 8;
    /** Lookups in flight at once; more fail at once (nothing a caller does grows without bound). */
    public int maxQueries = 64;
}

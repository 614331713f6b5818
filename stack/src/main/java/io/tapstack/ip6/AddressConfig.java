package io.tapstack.ip6;

import io.tapstack.wire.Ipv6Address;
import io.tapstack.wire.Ipv6InterfaceAddress;
import io.tapstack.wire.NdpOptions;

import java.nio.ByteBuffer;

import static io.tapstack.ip6.Ndp.INFINITE;
import static io.tapstack.ip6.Ndp.deadline;

/**
 * The host's own addresses (RFC 4862): the link-local address (§5.3) and the static ones at
 * start, Duplicate Address Detection for each (§5.4: tentative, NS from ::, duplicate on an NS
 * or NA for it, §5.4.5), stateless autoconfiguration from Prefix Information options (§5.5.3,
 * the two-hour rule), preferred and valid lifetimes (§5.5.4), stable interface identifiers with
 * IDGEN_RETRIES (RFC 7217 §5, §6) and the unsolicited NAs that announce a new address
 * (RFC 4861 §7.2.6). A part of {@link Ndp}.
 */
final class AddressConfig extends NdPart {
    private static final System.Logger LOG = System.getLogger("io.tapstack.ip6");
    /** RFC 4862 §5.5.3 (e): the two-hour rule. */
    static final long TWO_HOURS_NANOS = 7_200_000_000_000L;
    /** RFC 7217 §6 IDGEN_RETRIES. */
    static final int IDGEN_RETRIES = 3;
    /** RFC 4861 §10: MAX_NEIGHBOR_ADVERTISEMENT transmissions. */
    static final int MAX_NEIGHBOR_ADVERTISEMENT = 3;

    private boolean started;

    AddressConfig(Ndp nd) {
        super(nd);
    }

    /** Configures the interface: all-nodes group, link-local and static addresses (each through DAD). */
    void start() {
        if (started || !config.ipv6Enabled) {
            return;
        }
        started = true;
        // RFC 4291 §2.8: every node joins all-nodes (never reported, RFC 3810 §6).
        ipv6.join(Ipv6Address.ALL_NODES_HI, Ipv6Address.ALL_NODES_LO);
        if (config.ipv6LinkLocal) {
            // RFC 4862 §5.3: fe80::/64 + interface identifier.
            addGenerated(Ipv6Address.LINK_LOCAL_PREFIX_HI, LocalAddress.Origin.LINK_LOCAL, 0, INFINITE, INFINITE);
        }
        for (Ipv6InterfaceAddress s : config.ipv6) {
            addAddress(s.hi(), s.lo(), s.prefixLength(), LocalAddress.Origin.STATIC, 0, INFINITE, INFINITE);
        }
        if (!config.ipv6LinkLocal) {
            nd.rd.startRouterSolicitation();
        }
    }

    private LocalAddress addGenerated(long prefixHi, LocalAddress.Origin origin, int dadCounter, long validUntil, long preferredUntil) {
        long iid = config.ipv6StableIids
                ? StableIid.stable(prefixHi, link.interfaceName(), dadCounter, config.ipv6StableSecret)
                : StableIid.eui64(link.mac());
        return addAddress(prefixHi, iid, 64, origin, dadCounter, validUntil, preferredUntil);
    }

    /** Adds an address and starts DAD for it (RFC 4862 §5.4); returns the existing entry if present. */
    LocalAddress addAddress(long hi, long lo, int prefixLength, LocalAddress.Origin origin, int dadCounter,
                                   long validUntil, long preferredUntil) {
        LocalAddress old = ipv6.find(hi, lo);
        if (old != null && old.state() != LocalAddress.State.DUPLICATE) {
            return old;
        }
        if (old != null) {
            ipv6.removeAddress(old);
        }
        LocalAddress[] self = new LocalAddress[1];
        LocalAddress a = new LocalAddress(hi, lo, prefixLength, origin, now -> addressTimer(self[0], now));
        self[0] = a;
        a.setDadCounter(dadCounter);
        a.setLifetimes(validUntil, preferredUntil);
        ipv6.addAddress(a);
        if (config.dadTransmits <= 0) {
            // RFC 4862 §5.4: DupAddrDetectTransmits 0 disables DAD.
            nd.mld.joinGroup(Ipv6Address.solicitedNodeHi(), Ipv6Address.solicitedNodeLo(lo));
            dadDone(a, ctx.now());
            return a;
        }
        a.setState(LocalAddress.State.TENTATIVE);
        a.setDadProbesLeft(config.dadTransmits);
        counters.inc(NdpCounter.DAD_STARTED);
        // RFC 4862 §5.4.2: join the solicited-node group of the tentative address first, and
        // delay the first NS by a random 0..MAX_RTR_SOLICITATION_DELAY.
        nd.mld.joinGroup(Ipv6Address.solicitedNodeHi(), Ipv6Address.solicitedNodeLo(lo));
        long delay = config.rtrSolicitationDelayNanos > 0 ? (long) (ctx.random().nextDouble() * config.rtrSolicitationDelayNanos) : 0;
        ctx.timers().schedule(a.timer, ctx.now() + delay);
        return a;
    }

    private void addressTimer(LocalAddress a, long now) {
        if (a.state() == LocalAddress.State.TENTATIVE) {
            if (a.dadProbesLeft() > 0) {
                // RFC 4862 §5.4.2: NS from ::, to the solicited-node group, target the tentative address.
                a.setDadProbesLeft(a.dadProbesLeft() - 1);
                nd.out.sendNs(a.hi(), a.lo(), 0, 0, Ipv6Address.solicitedNodeHi(), Ipv6Address.solicitedNodeLo(a.lo()), -1);
                ctx.timers().schedule(a.timer, now + nd.rd.retransTimer());
                return;
            }
            // RFC 4862 §5.4: no duplicate heard within RetransTimer after the last NS.
            dadDone(a, now);
            return;
        }
        if (a.state() == LocalAddress.State.DUPLICATE) {
            return;
        }
        if (a.unsolicitedNaLeft() > 0 && now - a.naDue() >= 0) {
            a.setUnsolicitedNa(a.unsolicitedNaLeft() - 1, now + nd.rd.retransTimer());
            if (a.usable()) {
                nd.out.sendUnsolicitedNa(a);
            }
        }
        // RFC 4862 §5.5.4: lifetimes.
        if (now - a.validUntil() >= 0 && a.validUntil() != INFINITE) {
            counters.inc(NdpCounter.ADDRESS_EXPIRED);
            removeAddress(a);
            return;
        }
        if (a.state() == LocalAddress.State.PREFERRED && a.preferredUntil() != INFINITE && now - a.preferredUntil() >= 0) {
            counters.inc(NdpCounter.ADDRESS_DEPRECATED);
            a.setState(LocalAddress.State.DEPRECATED);
        }
        scheduleLifetime(a);
    }

    private void dadDone(LocalAddress a, long now) {
        counters.inc(NdpCounter.DAD_SUCCEEDED);
        boolean deprecated = a.preferredUntil() != INFINITE && now - a.preferredUntil() >= 0;
        a.setState(deprecated ? LocalAddress.State.DEPRECATED : LocalAddress.State.PREFERRED);
        // RFC 4861 §7.2.6: the address changed hands (it is new here, or this host came back with
        // another link-layer address): announce it with unsolicited NAs to all-nodes, Override set,
        // Solicited clear, up to MAX_NEIGHBOR_ADVERTISEMENT of them at least RetransTimer apart, so
        // that neighbours holding a stale entry for it update it at once.
        nd.out.sendUnsolicitedNa(a);
        a.setUnsolicitedNa(MAX_NEIGHBOR_ADVERTISEMENT - 1, now + nd.rd.retransTimer());
        scheduleLifetime(a);
        if (a.isLinkLocal()) {
            // RFC 4861 §6.3.7: solicit routers once a link-local source is available. RFC 3810
            // §5.2.13 (and Linux): repeat the reports now that they can come from it.
            nd.rd.startRouterSolicitation();
            nd.mld.reportAll(Mld.MLD_CHANGE_TO_EXCLUDE);
            for (long[] g : ipv6.groups()) {
                if (Mld.reportable(g[0], g[1])) {
                    nd.mld.stateChange(Mld.MLD_CHANGE_TO_EXCLUDE, g[0], g[1], false); // §6.1: and Robustness − 1 times more
                }
            }
        }
    }

    private void scheduleLifetime(LocalAddress a) {
        long next = a.validUntil();
        if (a.state() == LocalAddress.State.PREFERRED) {
            next = Math.min(next, a.preferredUntil());
        }
        if (a.unsolicitedNaLeft() > 0) {
            next = Math.min(next, a.naDue());
        }
        if (next != INFINITE) {
            ctx.timers().schedule(a.timer, next);
        } else {
            ctx.timers().cancel(a.timer);
        }
    }

    private void removeAddress(LocalAddress a) {
        ctx.timers().cancel(a.timer);
        ipv6.removeAddress(a);
        nd.mld.leaveGroup(Ipv6Address.solicitedNodeHi(), Ipv6Address.solicitedNodeLo(a.lo()));
    }

    /**
     * RFC 4862 §5.4.5: a tentative address is a duplicate: it is not used; counted and logged.
     * An address with a generated identifier gets a new one (RFC 7217 §6, at most IDGEN_RETRIES).
     */
    void dadFailed(LocalAddress a) {
        counters.inc(NdpCounter.DAD_DUPLICATE);
        LOG.log(System.Logger.Level.WARNING, () -> "IPv6 duplicate address detected: " + Ipv6Address.toString(a.hi(), a.lo())
                + " (" + a.origin().name().toLowerCase(java.util.Locale.ROOT) + "); not using it");
        ctx.timers().cancel(a.timer);
        a.setState(LocalAddress.State.DUPLICATE);
        nd.mld.leaveGroup(Ipv6Address.solicitedNodeHi(), Ipv6Address.solicitedNodeLo(a.lo()));
        if (a.origin() != LocalAddress.Origin.STATIC && config.ipv6StableIids && a.dadCounter() < IDGEN_RETRIES) {
            addGenerated(a.hi(), a.origin(), a.dadCounter() + 1, a.validUntil(), a.preferredUntil());
        }
    }

    /** Prefix Information: on-link (RFC 4861 §6.3.4) and autonomous (RFC 4862 §5.5.3). */
    void prefixInfo(ByteBuffer b, int at, long now) {
        int plen = b.get(at + NdpOptions.PI_PREFIX_LENGTH) & 0xff;
        int flags = b.get(at + NdpOptions.PI_FLAGS) & 0xff;
        long valid = b.getInt(at + NdpOptions.PI_VALID) & 0xffff_ffffL;
        long preferred = b.getInt(at + NdpOptions.PI_PREFERRED) & 0xffff_ffffL;
        if (plen > 128) {
            counters.inc(NdpCounter.SLAAC_IGNORED);
            return;
        }
        long pHi = Ipv6Address.maskHi(b.getLong(at + NdpOptions.PI_PREFIX), plen);
        long pLo = Ipv6Address.maskLo(b.getLong(at + NdpOptions.PI_PREFIX + 8), plen);
        if (Ipv6Address.isLinkLocal(pHi)) {
            // §6.3.4 / RFC 4862 §5.5.3 (b): the link-local prefix is ignored.
            counters.inc(NdpCounter.SLAAC_IGNORED);
            return;
        }
        if ((flags & NdpOptions.PI_FLAG_ONLINK) != 0) {
            nd.rd.onLinkPrefix(pHi, pLo, plen, valid, now);
        }
        if ((flags & NdpOptions.PI_FLAG_AUTO) == 0 || !config.ipv6Auto) {
            return;
        }
        // RFC 4862 §5.5.3 (c): preferred > valid → ignore the option.
        if (preferred > valid) {
            counters.inc(NdpCounter.SLAAC_IGNORED);
            return;
        }
        LocalAddress existing = null;
        for (LocalAddress a : ipv6.addresses()) {
            if (a.origin() == LocalAddress.Origin.SLAAC && a.state() != LocalAddress.State.DUPLICATE
                    && a.prefixLength() == plen && Ipv6Address.inPrefix(a.hi(), a.lo(), pHi, pLo, plen)) {
                existing = a;
            }
        }
        if (existing == null) {
            // (d): form an address if the prefix and the 64-bit identifier make 128 bits.
            if (valid == 0 || plen != 64) {
                counters.inc(NdpCounter.SLAAC_IGNORED);
                return;
            }
            int auto = 0;
            for (LocalAddress a : ipv6.addresses()) {
                if (a.origin() == LocalAddress.Origin.SLAAC) {
                    auto++;
                }
            }
            if (auto >= config.ipv6MaxAutoAddresses) {
                counters.inc(NdpCounter.SLAAC_IGNORED);
                return;
            }
            counters.inc(NdpCounter.SLAAC_ADDRESSES);
            addGenerated(pHi, LocalAddress.Origin.SLAAC, 0, deadline(now, valid), deadline(now, preferred));
            return;
        }
        // (e): update the lifetimes of the address formed from this prefix.
        long newPreferred = deadline(now, preferred);
        long remaining = existing.validUntil() == INFINITE ? INFINITE : existing.validUntil() - now;
        long receivedNanos = valid == 0xffff_ffffL ? INFINITE : valid * 1_000_000_000L;
        long newValid;
        if (receivedNanos > TWO_HOURS_NANOS || receivedNanos > remaining) {
            newValid = deadline(now, valid);
        } else if (remaining <= TWO_HOURS_NANOS) {
            newValid = existing.validUntil();
        } else {
            newValid = now + TWO_HOURS_NANOS;
        }
        existing.setLifetimes(newValid, newPreferred);
        if (existing.state() == LocalAddress.State.DEPRECATED && newPreferred - now > 0) {
            existing.setState(LocalAddress.State.PREFERRED);
        }
        if (existing.state() != LocalAddress.State.TENTATIVE) {
            if (existing.state() == LocalAddress.State.PREFERRED && newPreferred != INFINITE && newPreferred - now <= 0) {
                existing.setState(LocalAddress.State.DEPRECATED);
            }
            scheduleLifetime(existing);
        }
    }
}

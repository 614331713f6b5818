#!/usr/bin/env bash
# TCP under random loss: tapstack against Linux, in one run, interleaved (issue 10's benchmark).
#
#   scripts/bench-loss.sh [--runs N] [--size "0:50 1:50 5:10 10:2" | --size MB] [--loss "0 1 5 10"]
#                         [--frames] [--cc NAME] [--quick]
#
# For each loss rate and direction, SIZE MB move with iperf3 -n between the kernel and
#   tapstack:  kernel 10.0.0.1 <-TAP-> tapstack 10.0.0.2 (iperf3 service), and
#   Linux:     kernel 10.1.0.1 <-veth-> kernel 10.1.0.2 (iperf3 -s),
# runs alternating tapstack/Linux, and prints per cell the size, the median Gbit/s (min-max) and
# how many runs finished, the ratio tapstack/Linux, and the sender's RTOs per 1,000 segments,
# TLPs, retransmitted and spuriously retransmitted (D-SACKed) segments; plus each path's ping RTT.
#
# Size per loss level (--size "LOSS:MB ..."; one number: every level): at 5 % and 10 % loss of
# wire segments each way a Linux sender on a 50 us path is RTO-bound at ~1-5 Mbit/s (measured;
# min RTO 200 ms), so 50 MB there takes minutes per transfer. The default
# "0:50 1:50 5:10 10:2" with 5 runs is ~13 min on a quiet machine (the estimate is printed before
# anything runs); every transfer has a time bound that grows with its size and loss
# (20 s + SIZE*8 / floor Mbit/s, floors 50/10/1/0.4 Mbit/s at 0/1/5/10 %, linear in between);
# one that does not finish counts as failed, shown as "k/N runs" in its cell.
#
# Loss is made the same way for both peers, on each receiver's ingress, before its TCP sees the
# packet: what tapstack sends is dropped by an nftables netdev ingress chain on the TAP; what the
# kernel sends to tapstack is dropped in tapstack's receive path (--fault-rx-loss, seeded); on the
# veth, netdev ingress chains on each end drop what the other end sends. Never an output-hook
# drop (the sender would be told, and nothing would be lost on the wire).
#
# Per wire segment (default): tapstack runs with --offload none and the veth with TSO off (GSO
# on), so each drop removes one MSS-sized segment on both paths. The kernel TCP still builds
# 64 KB skbs, cut into wire segments in software just before the veth, exactly as when it sends
# to tapstack's TAP without offloads. (gso_max_segs 1, used before, made Linux build one skb per
# segment: 3-10x slower even without loss, measured; not how Linux sends over a plain NIC.)
# --frames runs tapstack with csum,tso,lro and the veth with its defaults instead: a drop then
# removes a whole 64 KB TSO/GSO frame (a harsher loss, shown as its own table).
#
# Every kernel sender uses the congestion control --cc (default cubic, tapstack's default) via
# iperf3 -C: this machine's default is bbr and a namespace may not change it.
#
# --quick: 1 run, 5 MB, 5 % loss only (checks that the bench works; no figures to quote).
# Everything lives in namespaces this script creates and removes (also on failure). Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/netns.sh

RUNS=5
SIZES="0:50 1:50 5:10 10:2"
LOSSES="0 1 5 10"
FRAMES=0
CC=cubic
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --size) SIZES=$2; shift 2 ;;
    --loss) LOSSES=$2; shift 2 ;;
    --frames) FRAMES=1; shift ;;
    --cc) CC=$2; shift 2 ;;
    --quick) RUNS=1; SIZES=5; LOSSES="5"; shift ;;
    -h|--help) sed -n '2,44p' "$0"; exit 0 ;;
    *) echo "bench-loss: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$CC" in ''|*[!a-z0-9_]*) echo "bench-loss: --cc needs a congestion control name" >&2; exit 2 ;; esac
case "$RUNS" in ''|*[!0-9]*) echo "bench-loss: --runs needs a number" >&2; exit 2 ;; esac
[ "$RUNS" -ge 1 ] && [ "$RUNS" -le 20 ] || { echo "bench-loss: --runs must be 1..20" >&2; exit 2; }
for l in $LOSSES; do
  case "$l" in ''|*[!0-9]*) echo "bench-loss: --loss takes whole percentages" >&2; exit 2 ;; esac
  [ "$l" -le 50 ] || { echo "bench-loss: loss above 50 % is not a benchmark" >&2; exit 2; }
done
size_for() { # LOSS -> MB for that level (from --size: "L:MB ..." or one number for all)
  local e
  for e in $SIZES; do
    case "$e" in
      *:*) [ "${e%%:*}" = "$1" ] && { echo "${e#*:}"; return; } ;;
      *) echo "$e"; return ;;
    esac
  done
  echo ""
}
for l in $LOSSES; do
  m=$(size_for "$l")
  case "$m" in ''|*[!0-9]*) echo "bench-loss: --size gives no whole number of MB for loss $l % ('$SIZES')" >&2; exit 2 ;; esac
  [ "$m" -ge 1 ] && [ "$m" -le 1000 ] || { echo "bench-loss: --size must be 1..1000 MB (loss $l %)" >&2; exit 2; }
done
# Per-transfer time bound: 20 s + SIZE*8 / floor rate, the floor (Mbit/s) falling with the loss
# (50 at 0 %, 10 at 1 %, 1 at 5 %, 0.4 at 10 % and above; linear in between), so a slow cell
# finishes instead of being cut, and a stuck one does not hold the run for ever.
floor_kbit() { # LOSS -> floor rate in kbit/s
  awk -v l="$1" 'BEGIN { n = split("0 1 5 10", x, " "); split("50000 10000 1000 400", r, " ");
    if (l >= x[n]) { print r[n]; exit } for (i = 1; i < n; i++) if (l <= x[i+1]) {
      printf "%d\n", r[i] + (r[i+1] - r[i]) * (l - x[i]) / (x[i+1] - x[i]); exit } }'
}
tmo_for() { # LOSS MB -> seconds
  echo $((20 + $2 * 8 * 1000 / $(floor_kbit "$1")))
}
# Expected time (printed before the run): typical rates seen on this machine (Mbit/s: 1000, 150,
# 5, 1 at 0/1/5/10 %) for the three slow cells of four at 5 % and above, plus ~2 s of set-up per
# transfer and ~20 s per level (host start, warm-up).
estimate_s() { # LOSS MB -> seconds for one level (all runs, both directions, both peers)
  awk -v l="$1" -v mb="$2" -v runs="$RUNS" 'BEGIN {
    rate = l <= 0 ? 1000 : l <= 1 ? 150 : l <= 5 ? 5 : 1;
    fast = l <= 1 ? 4 : 1; slow = 4 - fast;  # cells at the typical rate vs ~10x faster
    t = mb * 8 / rate;
    printf "%d\n", 20 + runs * (slow * t + fast * t / (l <= 1 ? 1 : 10) + 4 * 2) }'
}
EST=0; BOUND=0
for l in $LOSSES; do
  m=$(size_for "$l")
  EST=$((EST + $(estimate_s "$l" "$m")))
  BOUND=$((BOUND + 20 + RUNS * 4 * $(tmo_for "$l" "$m")))
done
if [ "$(id -u)" -ne 0 ]; then echo "bench-loss: needs root" >&2; exit 1; fi

scripts/install-deps.sh >/dev/null
JAR=tools/target/tapstack.jar
[ -f "$JAR" ] || mvn -B -q -ntp -DskipTests package -pl tools -am

NT="tsloss-tap-$$"
NA="tsloss-a-$$"
NB="tsloss-b-$$"
WORK="$(mktemp -d)"
HOST_PID=""
SRV_PID=""
cleanup() {
  ns_cleanup "$NT" "$HOST_PID"
  ns_cleanup "$NB" "$SRV_PID"
  ns_cleanup "$NA"
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

if [ "$FRAMES" = 1 ]; then OFFLOAD=csum,tso,lro; else OFFLOAD=none; fi
BYTES=0 # per level
TMO=0

ns_create "$NT" tap0 10.0.0.1/24
veth_create "$NA" "$NB"
if [ "$FRAMES" = 0 ]; then
  # wire segments at the drop point: software GSO just before the veth (TSO off), as the kernel
  # does towards tapstack's TAP without offloads
  ip netns exec "$NA" ethtool -K veth0 tso off >/dev/null
  ip netns exec "$NB" ethtool -K veth1 tso off >/dev/null
fi
veth_up "$NA" "$NB"

# netdev ingress drop chains (rate set per loss level), with counters to cross-check
nft_drop_table "$NT" tap0 tsloss
nft_drop_table "$NA" veth0 tsloss
nft_drop_table "$NB" veth1 tsloss

ip netns exec "$NB" iperf3 -s -B 10.1.0.2 >"$WORK/srv.log" 2>&1 &
SRV_PID=$!

start_host() { # LOSS
  ip netns exec "$NT" java -Xms1g -Xmx1g -jar "$JAR" run --tap tap0 --ipv4 10.0.0.2/24 --no-ipv6 \
      --offload "$OFFLOAD" --services iperf3 --control "$WORK/host.sock" --quiet \
      --fault-rx-loss "$1" --fault-seed 7 >"$WORK/host.log" 2>&1 &
  HOST_PID=$!
  wait_for_line "$WORK/host.log" "tapstack: ready" 30 || { cat "$WORK/host.log" >&2; exit 1; }
  ip netns exec "$NT" timeout 30 iperf3 -c 10.0.0.2 -n 20M >/dev/null 2>&1 || true # JIT warm-up
}
stop_host() {
  if [ -n "$HOST_PID" ]; then kill -TERM "$HOST_PID"; wait "$HOST_PID" 2>/dev/null || true; HOST_PID=""; fi
}
host_stat() { # -> "key value" lines of tcp.* and faults.* counters
  java -jar "$JAR" stat --all --host "$WORK/host.sock" \
    | awk '/^[a-z0-9_]+:$/ {sec=substr($1,1,length($1)-1)} NF==2 && $1 ~ /^[0-9]+$/ {print sec"."$2, $1}'
}
nstat_snap() { # NS -> "key value" lines (absolute)
  ip netns exec "$1" nstat -az 2>/dev/null | awk 'NF>=2 && $2 ~ /^[0-9]+$/ {print $1, $2}'
}
delta() { # FILE_BEFORE FILE_AFTER KEY
  awk -v k="$3" 'FNR==NR {b[$1]=$2; next} $1==k {printf "%.0f\n", $2-(b[k]+0); f=1} END {if (!f) print 0}' "$1" "$2"
}
# one transfer: NS SERVER_IP [-R] -> Gbit/s received
xfer() {
  local ns=$1 ip=$2; shift 2
  ip netns exec "$ns" timeout "$TMO" iperf3 -c "$ip" -n "$BYTES" -C "$CC" -J "$@" 2>/dev/null \
    | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); e=d["end"]
# a kernel sender must run the congestion control asked for (tapstack reports none)
cc = e.get("sender_tcp_congestion")
if cc is not None and cc != sys.argv[1]: sys.exit("bench-loss: sender used %s, not %s" % (cc, sys.argv[1]))
print("%.3f" % (e["sum_received"]["bits_per_second"]/1e9))' "$CC" \
    || echo nan
}
ping_ms() { # NS IP -> avg RTT ms
  ip netns exec "$1" ping -q -c 20 -i 0.05 "$2" 2>/dev/null | awk -F/ '/^rtt/ {print $5}'
}

# one cell run: tapstack, then Linux. DIR is down (tapstack/Linux server sends) or up.
# Appends "who dir loss gbps rto segs tlp retrans spurious mb" to $WORK/results.
run_pair() { # LOSS DIR
  local loss=$1 dir=$2 r=""
  [ "$dir" = down ] && r=-R
  # tapstack: its counters if it sends, the TAP namespace's kernel counters if the kernel sends
  host_stat > "$WORK/h0"; nstat_snap "$NT" > "$WORK/k0"
  local g; g=$(xfer "$NT" 10.0.0.2 $r)
  host_stat > "$WORK/h1"; nstat_snap "$NT" > "$WORK/k1"
  if [ "$dir" = down ]; then
    echo "tapstack $dir $loss $g $(delta "$WORK/h0" "$WORK/h1" tcp.rto_timeouts) $(delta "$WORK/h0" "$WORK/h1" tcp.tx_segments)" \
      "$(delta "$WORK/h0" "$WORK/h1" tcp.tlp_probes) $(delta "$WORK/h0" "$WORK/h1" tcp.retransmitted_segments)" \
      "$(delta "$WORK/h0" "$WORK/h1" tcp.spurious_retransmits) $SIZE" >> "$WORK/results"
  else
    echo "tapstack $dir $loss $g $(delta "$WORK/k0" "$WORK/k1" TcpExtTCPTimeouts) $(delta "$WORK/k0" "$WORK/k1" TcpOutSegs)" \
      "$(delta "$WORK/k0" "$WORK/k1" TcpExtTCPLossProbes) $(delta "$WORK/k0" "$WORK/k1" TcpRetransSegs)" \
      "$(delta "$WORK/k0" "$WORK/k1" TcpExtTCPDSACKRecvSegs) $SIZE" >> "$WORK/results"
  fi
  # Linux: the sender's namespace counters (server NB sends down, client NA sends up)
  local sns=$NA; [ "$dir" = down ] && sns=$NB
  nstat_snap "$sns" > "$WORK/k0"
  g=$(xfer "$NA" 10.1.0.2 $r)
  nstat_snap "$sns" > "$WORK/k1"
  echo "linux $dir $loss $g $(delta "$WORK/k0" "$WORK/k1" TcpExtTCPTimeouts) $(delta "$WORK/k0" "$WORK/k1" TcpOutSegs)" \
    "$(delta "$WORK/k0" "$WORK/k1" TcpExtTCPLossProbes) $(delta "$WORK/k0" "$WORK/k1" TcpRetransSegs)" \
    "$(delta "$WORK/k0" "$WORK/k1" TcpExtTCPDSACKRecvSegs) $SIZE" >> "$WORK/results"
}

: > "$WORK/results"
echo "bench-loss: per level MB each way: $(for l in $LOSSES; do printf '%s %%: %s MB (bound %s s per transfer); ' "$l" "$(size_for "$l")" "$(tmo_for "$l" "$(size_for "$l")")"; done)"
echo "bench-loss: $RUNS runs per cell, both directions, tapstack --offload $OFFLOAD$([ "$FRAMES" = 0 ] && echo ', veth tso off (software GSO)'), kernel senders -C $CC"
echo "bench-loss: expected ~$(( (EST + 59) / 60 )) min on a quiet machine (at most ~$(( (BOUND + 59) / 60 )) min if every transfer hits its bound)"
PING_TAP=""; PING_VETH=""
for loss in $LOSSES; do
  SIZE=$(size_for "$loss")
  BYTES=$((SIZE * 1048576))
  TMO=$(tmo_for "$loss" "$SIZE")
  nft_drop_rate "$NT" tsloss 10.0.0.2 "$loss"
  nft_drop_rate "$NA" tsloss 10.1.0.2 "$loss"
  nft_drop_rate "$NB" tsloss 10.1.0.1 "$loss"
  start_host "$loss"
  if [ -z "$PING_TAP" ]; then # measured on the first loss level (give 0 first for a clean figure)
    PING_TAP=$(ping_ms "$NT" 10.0.0.2); PING_VETH=$(ping_ms "$NA" 10.1.0.2)
  fi
  d0=$(nft_drop_count "$NT" tsloss); f0=$(host_stat | awk '$1=="faults.rx_dropped" {print $2}')
  for i in $(seq 1 "$RUNS"); do
    run_pair "$loss" down
    run_pair "$loss" up
    echo "bench-loss: loss $loss % ($SIZE MB) run $i: $(tail -n 4 "$WORK/results" | awk '{printf "%s %s %s Gbit/s; ", $1, $2, $4}')"
  done
  d1=$(nft_drop_count "$NT" tsloss); f1=$(host_stat | awk '$1=="faults.rx_dropped" {print $2}')
  if [ "$loss" -gt 0 ] && { [ $((d1 - d0)) -le 0 ] || [ $((${f1:-0} - ${f0:-0})) -le 0 ]; }; then
    echo "bench-loss: loss $loss % but nothing was dropped (nft $((d1 - d0)), rx $((${f1:-0} - ${f0:-0}))): broken set-up" >&2
    exit 1
  fi
  echo "bench-loss: loss $loss %: TAP ingress dropped $((d1 - d0)) frames, tapstack receive path $((${f1:-0} - ${f0:-0})), veth $(nft_drop_count "$NA" tsloss)+$(nft_drop_count "$NB" tsloss) (cumulative)"
  stop_host
done

echo
echo "ping RTT: TAP path ${PING_TAP:-?} ms, veth path ${PING_VETH:-?} ms (avg of 20)"
echo "per cell: median Gbit/s (min-max) of the runs that finished (k/$RUNS); sender's RTOs per 1,000 segments sent, TLPs, retransmitted and D-SACKed (spurious) segments summed over the runs"
/usr/bin/python3 - "$WORK/results" <<'EOF'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
cells = {}
for who, d, loss, g, rto, segs, tlp, rtx, spur, mb in rows:
    c = cells.setdefault((int(loss), d, who), {"g": [], "n": 0, "mb": mb, "rto": 0, "segs": 0, "tlp": 0, "rtx": 0, "spur": 0})
    c["n"] += 1
    try:
        v = float(g)
        if v == v:
            c["g"].append(v)
    except ValueError:
        pass
    for k, v in (("rto", rto), ("segs", segs), ("tlp", tlp), ("rtx", rtx), ("spur", spur)):
        c[k] += int(v)
def fmt(c):
    ok = "%d/%d" % (len(c["g"]), c["n"])
    if not c["g"]:
        return "failed (0/%d)" % c["n"], float("nan")
    m = statistics.median(c["g"])
    return "%.3f (%.3f-%.3f) %s" % (m, min(c["g"]), max(c["g"]), ok), m
print("| loss | size | direction | tapstack Gbit/s (runs) | Linux Gbit/s (runs) | ratio | RTO/1k segs tapstack / Linux | TLPs | retrans | spurious |")
print("|---|---|---|---|---|---|---|---|---|---|")
for (loss, d) in sorted({(k[0], k[1]) for k in cells}, key=lambda x: (x[0], x[1] != "down")):
    t = cells.get((loss, d, "tapstack")); l = cells.get((loss, d, "linux"))
    ts, tm = fmt(t); ls, lm = fmt(l)
    ratio = "%.2f×" % (tm / lm) if lm and lm == lm and tm == tm else "n/a"
    per = lambda c: 1000.0 * c["rto"] / c["segs"] if c["segs"] else 0.0
    name = "tapstack→Linux" if d == "down" else "Linux→tapstack"
    print("| %d %% | %s MB | %s | %s | %s | %s | %.2f / %.2f | %d / %d | %d / %d | %d / %d |" % (
        loss, t["mb"], name, ts, ls, ratio, per(t), per(l), t["tlp"], l["tlp"], t["rtx"], l["rtx"], t["spur"], l["spur"]))
print()
print("'down' = the tapstack host (or the Linux server) sends; 'up' = the kernel client sends.")
print("Counters are the sender's: tapstack's own (tcp.*) when it sends, the sending namespace's nstat otherwise.")
EOF

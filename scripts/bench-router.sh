#!/usr/bin/env bash
# Forwarding throughput: iperf3 through a tapstack router vs through a Linux namespace router,
# in one run, interleaved (issue 16's benchmark).
#
#   scripts/bench-router.sh [--runs N] [--size MB] [--modes "offload plain"] [--quick]
#
# tapstack: A (10.1.0.2) <-TAP-> tapstack router (10.1.0.1 | 10.2.0.1) <-TAP-> B (10.2.0.2)
#           (the router opens both TAPs in its own namespace, then their kernel sides move
#           into A and B, so the router is the only path between them);
# Linux:    LA (10.1.0.2) <-veth-> LR (ip_forward=1) <-veth-> LB (10.2.0.2).
# Each run moves SIZE MB with iperf3 -n from A to B (up) and from B to A (-R, down) through
# each router, alternating tapstack/Linux, and prints per mode and direction the median Gbit/s
# (min-max), the ratio tapstack/Linux, and cross-checks: the bytes iperf3 received, the
# datagrams the tapstack router forwarded, and how many frames it had to cut in software.
#
# Modes: offload = tapstack --offload auto (csum,tso,lro: GSO frames are forwarded as GSO) and
# the veths with their defaults (GSO/GRO on); plain = tapstack --offload none and the veths with
# tso, gso and gro off (one wire packet per frame on both paths).
#
# --quick: 1 run, 20 MB (checks that the bench works; no figures to quote).
# Everything lives in namespaces this script creates and removes (also on failure). Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/netns.sh

RUNS=5
SIZE=500
MODES="offload plain"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --modes) MODES=$2; shift 2 ;;
    --quick) RUNS=1; SIZE=20; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "bench-router: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$RUNS" in ''|*[!0-9]*) echo "bench-router: --runs needs a number" >&2; exit 2 ;; esac
case "$SIZE" in ''|*[!0-9]*) echo "bench-router: --size needs a whole number of MB" >&2; exit 2 ;; esac
[ "$RUNS" -ge 1 ] && [ "$RUNS" -le 20 ] || { echo "bench-router: --runs must be 1..20" >&2; exit 2; }
[ "$SIZE" -ge 1 ] && [ "$SIZE" -le 5000 ] || { echo "bench-router: --size must be 1..5000" >&2; exit 2; }
for m in $MODES; do
  case "$m" in offload|plain) ;; *) echo "bench-router: --modes takes offload and/or plain" >&2; exit 2 ;; esac
done
if [ "$(id -u)" -ne 0 ]; then echo "bench-router: needs root" >&2; exit 1; fi

scripts/install-deps.sh >/dev/null
JAR=tools/target/tapstack.jar
[ -f "$JAR" ] || mvn -B -q -ntp -DskipTests package -pl tools -am

NR="tsrt-r-$$"; NA="tsrt-a-$$"; NB="tsrt-b-$$"
LA="tsrt-la-$$"; LR="tsrt-lr-$$"; LB="tsrt-lb-$$"
WORK="$(mktemp -d)"
ROUTER_PID=""; SRV_PID=""; LSRV_PID=""
cleanup() {
  ns_cleanup "$NR" "$ROUTER_PID"
  ns_cleanup "$NB" "$SRV_PID"
  ns_cleanup "$NA"
  ns_cleanup "$LB" "$LSRV_PID"
  ns_cleanup "$LA"
  ns_cleanup "$LR"
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

BYTES=$((SIZE * 1048576))
TMO=$((30 + SIZE / 5))

# --- the Linux router: LA <-> LR <-> LB over two veth pairs
for n in "$LA" "$LR" "$LB"; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip -n "$LA" link add veth0 type veth peer name vr0 netns "$LR"
ip -n "$LB" link add veth0 type veth peer name vr1 netns "$LR"
ip -n "$LA" addr add 10.1.0.2/24 dev veth0; ip -n "$LR" addr add 10.1.0.1/24 dev vr0
ip -n "$LB" addr add 10.2.0.2/24 dev veth0; ip -n "$LR" addr add 10.2.0.1/24 dev vr1
ip netns exec "$LR" sysctl -qw net.ipv4.ip_forward=1
for p in "$LA veth0" "$LR vr0" "$LR vr1" "$LB veth0"; do set -- $p; ip -n "$1" link set "$2" up; done
ip -n "$LA" route add default via 10.1.0.1
ip -n "$LB" route add default via 10.2.0.1
veth_offloads() { # on|off
  local p
  for p in "$LA veth0" "$LR vr0" "$LR vr1" "$LB veth0"; do
    set -- $p
    ip netns exec "$1" ethtool -K "$2" tso "$OFF" gso "$OFF" gro "$OFF" >/dev/null 2>&1 || true
  done
}

# --- the tapstack router's namespaces (the TAPs are made per mode, see start_router)
for n in "$NR" "$NA" "$NB"; do ip netns add "$n"; ip -n "$n" link set lo up; done

start_router() { # OFFLOAD
  ip -n "$NA" link del tap0 2>/dev/null || true
  ip -n "$NB" link del tap0 2>/dev/null || true
  ip -n "$NR" tuntap add dev tap0 mode tap
  ip -n "$NR" tuntap add dev tap1 mode tap
  ip -n "$NR" link set tap0 up; ip -n "$NR" link set tap1 up
  ip netns exec "$NR" java -Xms1g -Xmx1g -jar "$JAR" run --tap tap0 --ipv4 10.1.0.1/24 --no-ipv6 --offload "$1" \
      --tap tap1 --ipv4 10.2.0.1/24 --no-ipv6 --offload "$1" --forward \
      --control "$WORK/router.sock" --quiet >"$WORK/router.log" 2>&1 &
  ROUTER_PID=$!
  wait_for_line "$WORK/router.log" "tapstack: ready" 30 || { cat "$WORK/router.log" >&2; exit 1; }
  ip -n "$NR" link set tap0 netns "$NA"
  ip -n "$NR" link set tap1 netns "$NB"
  ip -n "$NB" link set tap1 name tap0
  ip -n "$NA" link set tap0 txqueuelen 10000; ip -n "$NB" link set tap0 txqueuelen 10000
  ip -n "$NA" addr add 10.1.0.2/24 dev tap0; ip -n "$NB" addr add 10.2.0.2/24 dev tap0
  ip -n "$NA" link set tap0 up; ip -n "$NB" link set tap0 up
  ip -n "$NA" route add default via 10.1.0.1
  ip -n "$NB" route add default via 10.2.0.1
  ip netns exec "$NA" ping -q -c 1 -W 5 10.2.0.2 >/dev/null || { echo "bench-router: no path through tapstack" >&2; cat "$WORK/router.log" >&2; exit 1; }
  ip netns exec "$NA" timeout 30 iperf3 -c 10.2.0.2 -n 50M >/dev/null 2>&1 || true # JIT warm-up
}
stop_router() {
  if [ -n "$ROUTER_PID" ]; then kill -TERM "$ROUTER_PID"; wait "$ROUTER_PID" 2>/dev/null || true; ROUTER_PID=""; fi
}
router_stat() { # -> "key value" lines of the router's counters
  java -jar "$JAR" stat --all --host "$WORK/router.sock" \
    | awk '/^[a-z0-9_]+:$/ {sec=substr($1,1,length($1)-1)} NF==2 && $1 ~ /^[0-9]+$/ {print sec"."$2, $1}'
}
delta() { # FILE_BEFORE FILE_AFTER KEY
  awk -v k="$3" 'FNR==NR {b[$1]=$2; next} $1==k {printf "%.0f\n", $2-(b[k]+0); f=1} END {if (!f) print 0}' "$1" "$2"
}
xfer() { # NS [-R] -> "Gbit/s bytes_received"
  local ns=$1; shift
  ip netns exec "$ns" timeout "$TMO" iperf3 -c 10.2.0.2 -n "$BYTES" -J "$@" 2>/dev/null \
    | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin)["end"]["sum_received"]; print("%.3f %d" % (d["bits_per_second"]/1e9, d["bytes"]))' \
    || echo "nan 0"
}

: > "$WORK/results"
echo "bench-router: ${SIZE} MB each way, $RUNS runs per cell, modes {$MODES}, tapstack router vs Linux router (ip_forward), interleaved"
for mode in $MODES; do
  if [ "$mode" = offload ]; then OFFLOAD=auto; OFF=on; else OFFLOAD=none; OFF=off; fi
  veth_offloads
  start_router "$OFFLOAD"
  ip netns exec "$NB" iperf3 -s -B 10.2.0.2 >"$WORK/srv.log" 2>&1 &
  SRV_PID=$!
  ip netns exec "$LB" iperf3 -s -B 10.2.0.2 >"$WORK/lsrv.log" 2>&1 &
  LSRV_PID=$!
  sleep 1
  router_stat > "$WORK/s0"
  for i in $(seq 1 "$RUNS"); do
    for dir in up down; do
      r=""; [ "$dir" = down ] && r=-R
      read -r g b <<< "$(xfer "$NA" $r)"; echo "tapstack $mode $dir $g $b" >> "$WORK/results"
      read -r g b <<< "$(xfer "$LA" $r)"; echo "linux $mode $dir $g $b" >> "$WORK/results"
    done
    echo "bench-router: $mode run $i: $(tail -n 4 "$WORK/results" | awk '{printf "%s %s %s Gbit/s; ", $1, $3, $4}')"
  done
  router_stat > "$WORK/s1"
  fwd=$(delta "$WORK/s0" "$WORK/s1" ip.forwarded); soft=$(delta "$WORK/s0" "$WORK/s1" link.tx_gso_software)
  txb=$(delta "$WORK/s0" "$WORK/s1" link.tx_bytes)
  moved=$(awk -v m="$mode" '$1=="tapstack" && $2==m {s+=$5} END {printf "%.0f\n", s}' "$WORK/results")
  echo "bench-router: $mode: tapstack forwarded $fwd datagrams, $txb bytes out (iperf3 received $moved), $soft GSO frames cut in software"
  if [ "$fwd" -le 0 ] || [ "$txb" -lt "$moved" ]; then
    echo "bench-router: the tapstack router did not carry the transfers (broken set-up)" >&2; exit 1
  fi
  kill -TERM "$SRV_PID" "$LSRV_PID" 2>/dev/null || true
  wait "$SRV_PID" "$LSRV_PID" 2>/dev/null || true
  SRV_PID=""; LSRV_PID=""
  stop_router
done

echo
printf '%-8s %-5s %-26s %-26s %s\n' mode dir "tapstack Gbit/s (min-max)" "Linux Gbit/s (min-max)" "ratio"
/usr/bin/python3 - "$WORK/results" <<'EOF'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
def cell(who, mode, d):
    v = [float(r[3]) for r in rows if r[0] == who and r[1] == mode and r[2] == d and r[3] != "nan"]
    return (statistics.median(v), min(v), max(v)) if v else None
for mode in dict.fromkeys(r[1] for r in rows):
    for d in ("up", "down"):
        t, l = cell("tapstack", mode, d), cell("linux", mode, d)
        fmt = lambda c: "%.2f (%.2f-%.2f)" % c if c else "-"
        ratio = "%.2f" % (t[0] / l[0]) if t and l and l[0] > 0 else "-"
        print("%-8s %-5s %-26s %-26s %s" % (mode, d, fmt(t), fmt(l), ratio))
EOF

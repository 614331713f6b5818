#!/usr/bin/env bash
# The fair HTTP comparison: the *same* Netty HTTP server (tapstack-bench netty-http:
# HttpServerCodec + HttpObjectAggregator, one I/O thread) once on tapstack's Netty transport
# over a TAP and once on Netty's kernel epoll transport over a veth, with tapstack's own http
# service as a third column. The three are measured interleaved in one run (round 1: A B C,
# round 2: A B C, ...), so machine noise hits them alike. Needs root.
#
#   scripts/bench-netty.sh [--runs N] [--seconds S] [--quick] [--idle-both]
#
# --idle-both runs Netty on tapstack twice, its loop's idle policy --idle hybrid and --idle sleep
# (netty-http --idle), as a fourth interleaved column; without it, with the transport's default.
# --quick is --runs 1 --seconds 1 (checks that everything works; the figures mean nothing).
# Prints per server the median requests/s with the spread (min..max), p50/p99 latency of the
# median run, server CPU µs per request (from /proc/PID/stat), heap bytes allocated per request
# and per connection, and the ratios against Netty on epoll; then the same per server with one
# connection (wrk -c1, each request after the last answer: the loop goes idle in between, so
# latency there shows the idle policy). Allocation: both Netty servers
# answer on a Unix socket (netty-http --stats-socket) with the sum of HotSpot's per-thread
# allocation counters of their live threads (outside both network stacks); tapstack's own
# service reports its loop thread's counter (tapstack stat: allocated_bytes). After the timed
# rounds each server gets a short and a long wrk run (same 50 new connections): per request =
# the difference in allocation over the difference in requests, per connection = the rest. wrk's socket errors and non-2xx answers fail the run; the connections wrk opened to
# tapstack's http service are checked against the ones its TCP accepted (tcp.passive_opens).
# Everything runs in namespaces this script creates and removes; servers on CPU 0, wrk on CPU 1.
# tapstack's own http service runs with tapstack run's default idle policy (hybrid).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/netns.sh

RUNS=5
SECS=5
IDLE_BOTH=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --seconds) SECS=$2; shift 2 ;;
    --quick) RUNS=1; SECS=1; shift ;;
    --idle-both) IDLE_BOTH=1; shift ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "bench-netty: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$RUNS" in ''|*[!0-9]*) echo "bench-netty: --runs needs a number" >&2; exit 2 ;; esac
case "$SECS" in ''|*[!0-9]*) echo "bench-netty: --seconds needs a whole number" >&2; exit 2 ;; esac
[ "$RUNS" -ge 1 ] && [ "$RUNS" -le 20 ] || { echo "bench-netty: --runs must be 1..20" >&2; exit 2; }
[ "$SECS" -ge 1 ] && [ "$SECS" -le 60 ] || { echo "bench-netty: --seconds must be 1..60" >&2; exit 2; }
if [ "$(id -u)" -ne 0 ]; then echo "bench-netty: needs root" >&2; exit 1; fi
command -v wrk >/dev/null || scripts/install-deps.sh >/dev/null

bench_jars

NT="tsbn-nt-$$"   # Netty on tapstack: TAP, kernel side 10.0.0.1, tapstack 10.0.0.2
NS="tsbn-ns-$$"   # with --idle-both: Netty on tapstack, --idle sleep (NT then runs --idle hybrid)
NH="tsbn-nh-$$"   # tapstack's own http service: TAP, 10.0.0.1 / 10.0.0.2
NA="tsbn-a-$$"    # wrk side of the veth, 10.1.0.1
NB="tsbn-b-$$"    # Netty on epoll, 10.1.0.2
WORK="$(mktemp -d)"
P_NT="" P_NS="" P_NH="" P_NB=""
cleanup() {
  ns_cleanup "$NT" "$P_NT"
  [ "$IDLE_BOTH" = 1 ] && ns_cleanup "$NS" "$P_NS"
  ns_cleanup "$NH" "$P_NH"
  ns_cleanup "$NB" "$P_NB"
  ns_cleanup "$NA"
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

mkdir -p "$WORK/www"
printf 'Hello, world!\n' > "$WORK/www/hello.txt"

ns_create "$NT" tap0 10.0.0.1/24
ns_create "$NH" tap0 10.0.0.1/24
[ "$IDLE_BOTH" = 1 ] && ns_create "$NS" tap0 10.0.0.1/24
veth_create "$NA" "$NB"
veth_up "$NA" "$NB"

JVM=(java -Xms1g -Xmx1g)
NT_IDLE=()
[ "$IDLE_BOTH" = 1 ] && NT_IDLE=(--idle hybrid)
ip netns exec "$NT" taskset -c 0 "${JVM[@]}" -jar "$BENCH_JAR" netty-http --transport tapstack --tap tap0 \
    --ipv4 10.0.0.2/24 --offload csum,tso,lro --port 80 --root "$WORK/www" --stats-socket "$WORK/nt-stats.sock" \
    ${NT_IDLE[@]+"${NT_IDLE[@]}"} >"$WORK/nt.log" 2>&1 &
P_NT=$!
if [ "$IDLE_BOTH" = 1 ]; then
  ip netns exec "$NS" taskset -c 0 "${JVM[@]}" -jar "$BENCH_JAR" netty-http --transport tapstack --tap tap0 \
      --ipv4 10.0.0.2/24 --offload csum,tso,lro --port 80 --root "$WORK/www" --stats-socket "$WORK/ns-stats.sock" \
      --idle sleep >"$WORK/ns.log" 2>&1 &
  P_NS=$!
fi
ip netns exec "$NH" taskset -c 0 "${JVM[@]}" -jar "$JAR" run --tap tap0 --ipv4 10.0.0.2/24 --no-ipv6 \
    --offload csum,tso,lro --services http --http-root "$WORK/www" --control "$WORK/nh.sock" --quiet >"$WORK/nh.log" 2>&1 &
P_NH=$!
ip netns exec "$NB" taskset -c 0 "${JVM[@]}" -jar "$BENCH_JAR" netty-http --transport epoll --port 80 \
    --root "$WORK/www" --stats-socket "$WORK/nb-stats.sock" >"$WORK/nb.log" 2>&1 &
P_NB=$!
wait_for_line "$WORK/nt.log" "netty-http: ready" 30 || { cat "$WORK/nt.log" >&2; exit 1; }
wait_for_line "$WORK/nh.log" "tapstack: ready" 30 || { cat "$WORK/nh.log" >&2; exit 1; }
if [ "$IDLE_BOTH" = 1 ]; then wait_for_line "$WORK/ns.log" "netty-http: ready" 30 || { cat "$WORK/ns.log" >&2; exit 1; }; fi
wait_for_line "$WORK/nb.log" "netty-http: ready" 30 || { cat "$WORK/nb.log" >&2; exit 1; }

ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
CLK=$(getconf CLK_TCK)
J_NT=$(jvm_pid "$P_NT"); J_NH=$(jvm_pid "$P_NH"); J_NB=$(jvm_pid "$P_NB")
[ "$IDLE_BOTH" = 1 ] && J_NS=$(jvm_pid "$P_NS")

# heap bytes a server has allocated so far: ALLOC_SOURCE is a netty-http stats socket or "tapstack"
allocated() {
  local n
  if [ "$1" = tapstack ]; then
    n=$(java -jar "$JAR" stat --host "$WORK/nh.sock" -a 2>/dev/null | awk '/ allocated_bytes$/ {s+=$1} END {printf "%.0f\n", s}')
  else
    n=$(timeout 5 socat -u "UNIX-CONNECT:$1" - | awk '$1=="allocated_bytes" {print $2}')
  fi
  case "$n" in ''|-*|*[!0-9]*) echo "bench-netty: no allocation counter from $1" >&2; exit 1 ;; esac
  echo "$n"
}

# one wrk run (WRK_C connections, default 50): "requests/s p50 p99 cpu-µs/request requests" ; fails on socket errors or non-2xx
wrk_run() { # NS URL JVM_PID TAG [SECONDS]
  local before after out req n
  before=$(ticks "$3")
  out=$(ip netns exec "$1" taskset -c 1 timeout $((${5:-$SECS} + 20)) wrk -t1 -c"${WRK_C:-50}" -d"${5:-$SECS}s" --latency "$2")
  after=$(ticks "$3")
  echo "$out" > "$WORK/wrk-$4-$(date +%s%N).txt"
  if echo "$out" | grep -qE 'Socket errors|Non-2xx or 3xx'; then
    echo "bench-netty: wrk reported errors against $4:" >&2; echo "$out" >&2; exit 1
  fi
  req=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
  n=$(echo "$out" | awk '/requests in/ {print $1}')
  echo "$req $(echo "$out" | awk '$1=="50%"{p50=$2} $1=="99%"{p99=$2} END {print p50, p99}') $(awk -v t=$((after-before)) -v c="$CLK" -v n="$n" 'BEGIN {printf "%.2f", (n>0)? t/c*1e6/n : 0}') $n"
}

# heap bytes per request and per connection: "bytes/request bytes/connection"
alloc_run() { # NS URL JVM_PID TAG ALLOC_SOURCE
  local a0 a1 a2 n1 n2 long=$((SECS > 1 ? SECS : 2))
  a0=$(allocated "$5")
  n1=$(wrk_run "$1" "$2" "$3" "$4" 1 | awk '{print $5}')
  a1=$(allocated "$5")
  n2=$(wrk_run "$1" "$2" "$3" "$4" "$long" | awk '{print $5}')
  a2=$(allocated "$5")
  awk -v s1=$((a1 - a0)) -v s2=$((a2 - a1)) -v n1="$n1" -v n2="$n2" 'BEGIN {
    if (n2 <= n1) { print "n/a n/a"; exit }
    r = (s2 - s1) / (n2 - n1); c = (s1 - r * n1) / 50
    # a server that allocates nothing per request still allocates a little per wrk run, not
    # exactly the same each time: below 8 bytes the difference is that noise (it can be negative)
    if (r > -8 && r < 8) printf "<8 %.0f\n", s1 / 50; else printf "%.0f %.0f\n", r, c }'
}

echo "bench-netty: $RUNS interleaved rounds of ${SECS}s; servers on CPU 0, wrk on CPU 1"
# warm-up: the same 2 s for each (JIT)
WARM=("$NT http://10.0.0.2/hello.txt" "$NH http://10.0.0.2/hello.txt" "$NA http://10.1.0.2/hello.txt")
[ "$IDLE_BOTH" = 1 ] && WARM+=("$NS http://10.0.0.2/hello.txt")
for t in "${WARM[@]}"; do
  set -- $t; ip netns exec "$1" timeout 20 wrk -t1 -c50 -d2s "$2" >/dev/null
done
opens() { java -jar "$JAR" stat --host "$WORK/nh.sock" -a 2>/dev/null | awk '/ passive_opens$/ {s+=$1} END {printf "%.0f\n", s}'; }
opens_before=$(opens)
for i in $(seq 1 "$RUNS"); do
  wrk_run "$NT" http://10.0.0.2/hello.txt "$J_NT" netty-tapstack >> "$WORK/r_nt"
  wrk_run "$NA" http://10.1.0.2/hello.txt "$J_NB" netty-epoll >> "$WORK/r_nb"
  wrk_run "$NH" http://10.0.0.2/hello.txt "$J_NH" tapstack-http >> "$WORK/r_nh"
  if [ "$IDLE_BOTH" = 1 ]; then wrk_run "$NS" http://10.0.0.2/hello.txt "$J_NS" netty-tapstack-sleep >> "$WORK/r_ns"; fi
  # one connection: each request waits for the last answer, so the server's loop goes idle between
  # them and its idle policy shows in the latency
  WRK_C=1 wrk_run "$NT" http://10.0.0.2/hello.txt "$J_NT" netty-tapstack-c1 >> "$WORK/r1_nt"
  WRK_C=1 wrk_run "$NA" http://10.1.0.2/hello.txt "$J_NB" netty-epoll-c1 >> "$WORK/r1_nb"
  WRK_C=1 wrk_run "$NH" http://10.0.0.2/hello.txt "$J_NH" tapstack-http-c1 >> "$WORK/r1_nh"
  if [ "$IDLE_BOTH" = 1 ]; then WRK_C=1 wrk_run "$NS" http://10.0.0.2/hello.txt "$J_NS" netty-tapstack-sleep-c1 >> "$WORK/r1_ns"; fi
done
opens_after=$(opens)
al=$(alloc_run "$NT" http://10.0.0.2/hello.txt "$J_NT" netty-tapstack "$WORK/nt-stats.sock"); read -r nt_al nt_ac <<< "$al"
al=$(alloc_run "$NA" http://10.1.0.2/hello.txt "$J_NB" netty-epoll "$WORK/nb-stats.sock"); read -r nb_al nb_ac <<< "$al"
al=$(alloc_run "$NH" http://10.0.0.2/hello.txt "$J_NH" tapstack-http tapstack); read -r nh_al nh_ac <<< "$al"
if [ "$IDLE_BOTH" = 1 ]; then
  al=$(alloc_run "$NS" http://10.0.0.2/hello.txt "$J_NS" netty-tapstack-sleep "$WORK/ns-stats.sock"); read -r ns_al ns_ac <<< "$al"
fi

summary() { # FILE -> "median min max p50 p99 cpu"
  sort -g -k1 "$1" | awk '{r[NR]=$1; l[NR]=$0} END {m=int((NR+1)/2); split(l[m], f, " "); printf "%s %s %s %s %s %s\n", r[m], r[1], r[NR], f[2], f[3], f[4]}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b+0 > 0) printf "%.2f", a/b; else print "n/a" }'; }
# row NAME ROUNDS BASE [ALLOC...]: one server's table row from its rounds' file, any allocation
# cells, and its median against BASE's (Netty on epoll's rounds in the same table)
row() {
  local name=$1 rounds=$2 base=$3 m lo hi p50 p99 cpu cells="" a
  shift 3
  for a in "$@"; do cells="$cells $a |"; done
  read -r m lo hi p50 p99 cpu < <(summary "$rounds")
  echo "| $name | $m ($lo..$hi) | $p50 | $p99 | $cpu |$cells $(ratio "$m" "$(summary "$base" | awk '{print $1}')")× |"
}

# cross-check: per round wrk runs -c50 and -c1 against tapstack's http service, and each run opens
# one connection more than -c (wrk connects once to check the address before it starts:
# measured, 2 for -c1 and 51 for -c50); tapstack's TCP must have accepted exactly those
opened=$((opens_after - opens_before))

echo
echo "Command: \`scripts/bench-netty.sh --runs $RUNS --seconds $SECS$([ "$IDLE_BOTH" = 1 ] && echo ' --idle-both')\` on $(date -u +%Y-%m-%d), $(nproc) vCPUs, Linux $(uname -r)."
echo "Medians of $RUNS interleaved rounds of ${SECS} s (spread min..max); wrk -t1 -c50, 14-byte file; p50/p99 of the median round."
echo
echo "| HTTP server | requests/s (spread) | p50 | p99 | server CPU µs/request | heap bytes/request | heap bytes/connection | vs Netty on epoll |"
echo "|---|---|---|---|---|---|---|---|"
NT_NAME="Netty 4.2 on tapstack (TAP, offloads csum,tso,lro)"
[ "$IDLE_BOTH" = 1 ] && NT_NAME="Netty 4.2 on tapstack, --idle hybrid (TAP, offloads csum,tso,lro)"
NS_NAME="Netty 4.2 on tapstack, --idle sleep (same)"
NB_NAME="Netty 4.2 on kernel epoll (veth)"
NH_NAME="tapstack's own http service (TAP, same offloads)"
row "$NT_NAME" "$WORK/r_nt" "$WORK/r_nb" "$nt_al" "$nt_ac"
if [ "$IDLE_BOTH" = 1 ]; then row "$NS_NAME" "$WORK/r_ns" "$WORK/r_nb" "$ns_al" "$ns_ac"; fi
row "$NB_NAME" "$WORK/r_nb" "$WORK/r_nb" "$nb_al" "$nb_ac"
row "$NH_NAME" "$WORK/r_nh" "$WORK/r_nb" "$nh_al (loop thread)" "$nh_ac"
echo
echo "Heap bytes: after the rounds, a 1 s and a $((SECS > 1 ? SECS : 2)) s wrk run per server (50 new connections each); per request = difference in allocation / difference in requests, per connection = the rest of the 1 s run / 50. The Netty servers count every live thread of their JVM (netty-http --stats-socket), tapstack's service its loop thread; the kernel's socket buffers are not on a heap, tapstack's rings are."
echo
echo "One connection (wrk -t1 -c1, the same file; medians of the same $RUNS rounds, p50/p99 of the median round):"
echo
echo "| HTTP server | requests/s (spread) | p50 | p99 | server CPU µs/request | vs Netty on epoll |"
echo "|---|---|---|---|---|---|"
row "$NT_NAME" "$WORK/r1_nt" "$WORK/r1_nb"
if [ "$IDLE_BOTH" = 1 ]; then row "$NS_NAME" "$WORK/r1_ns" "$WORK/r1_nb"; fi
row "$NB_NAME" "$WORK/r1_nb" "$WORK/r1_nb"
row "$NH_NAME" "$WORK/r1_nh" "$WORK/r1_nb"
echo
echo "Cross-check: wrk opened $((53 * RUNS)) connections to tapstack's http service over $RUNS rounds (51 + 2 a round: one more than -c per run, wrk's address check); its TCP accepted $opened (tcp.passive_opens)."
if [ "$opened" -ne $((53 * RUNS)) ]; then echo "bench-netty: tapstack accepted $opened connections, wrk opened $((53 * RUNS))" >&2; exit 1; fi

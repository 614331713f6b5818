#!/usr/bin/env bash
# Many connections and fast churn (issue 11), tapstack beside Linux in one run. Needs root.
#
#   scripts/bench-conns.sh [--conns N[,N...]] [--churn-seconds S] [--downloads N] [--download-warm-up W] [--heap SIZE] [--quick]
#
# 1. Idle connections, for each N (default 1000,10000,100000): N keep-alive connections opened
#    from Linux (several source addresses, at most 15,000 per client process) to tapstack's http
#    service on a TAP, held; the host's RSS and Java heap (after a full GC) before, while held and
#    after closing, and bytes per idle connection; then one request on each (all must answer 200);
#    then all closed. The same load against a Linux server (Python epoll, SO_REUSEPORT, on a veth)
#    gives Linux's figure: /proc/net/sockstat's TCP mem pages plus the TCP slab, measured the same
#    way (both runs have the same Linux client sockets, so the difference is the server's).
# 2. Churn: wrk -c100 with "Connection: close" (one connection per request) against tapstack's http
#    service and against Netty on kernel epoll (veth), interleaved; connections/s, Java heap
#    allocated per connection (loop.allocated_bytes / tcp.passive_opens), retransmissions
#    (tapstack's tcp.retransmitted_segments, the kernel's TcpRetransSegs and D-SACKs sent).
# 3. N concurrent 1 MB downloads (default 200, one curl process with --parallel) from each: total
#    time, 5 rounds interleaved, every body checked; ratio against Linux, median with spread. Before
#    them, --download-warm-up W rounds per side (default 5, interleaved, printed, not in the ratio):
#    both servers are JVMs, and tapstack's TCP is Java code the JIT is still compiling during its
#    first downloads (0.68 s, then 0.32 ... 0.15 s over eight rounds of a fresh host), where Netty
#    leaves TCP to the kernel; the warm-up rounds show that cold start, the timed ones steady state.
# --quick is --conns 1000 --churn-seconds 2 --downloads 20 (checks that everything works).
# --histogram prints the host's top heap classes while the idle connections are held (what a
# connection costs, class by class).
# --nmt runs the host with native memory tracking and prints, after each N is closed, what the JVM
# holds beyond the heap (jcmd VM.native_memory summary.diff against the start).
# Everything runs in namespaces this script creates and removes; servers on CPU 0, clients on CPU 1.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/netns.sh

CONNS=1000,10000,100000
CHURN=5
DOWNLOADS=200
DL_WARM=5
HEAP=2g
HISTO=0
NMT=0
while [ $# -gt 0 ]; do
  case "$1" in
    --conns) CONNS=$2; shift 2 ;;
    --churn-seconds) CHURN=$2; shift 2 ;;
    --downloads) DOWNLOADS=$2; shift 2 ;;
    --download-warm-up) DL_WARM=$2; shift 2 ;;
    --heap) HEAP=$2; shift 2 ;;
    --quick) CONNS=1000; CHURN=2; DOWNLOADS=20; DL_WARM=1; shift ;;
    --histogram) HISTO=1; shift ;;
    --nmt) NMT=1; shift ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "bench-conns: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$CONNS" in ''|*[!0-9,]*) echo "bench-conns: --conns needs numbers" >&2; exit 2 ;; esac
case "$CHURN$DOWNLOADS$DL_WARM" in *[!0-9]*) echo "bench-conns: --churn-seconds/--downloads/--download-warm-up need numbers" >&2; exit 2 ;; esac
for n in ${CONNS//,/ }; do [ "$n" -ge 1 ] && [ "$n" -le 120000 ] || { echo "bench-conns: --conns 1..120000" >&2; exit 2; }; done
[ "$CHURN" -ge 1 ] && [ "$CHURN" -le 60 ] || { echo "bench-conns: --churn-seconds 1..60" >&2; exit 2; }
[ "$DOWNLOADS" -ge 1 ] && [ "$DOWNLOADS" -le 500 ] || { echo "bench-conns: --downloads 1..500" >&2; exit 2; }
[ "$DL_WARM" -ge 1 ] && [ "$DL_WARM" -le 20 ] || { echo "bench-conns: --download-warm-up 1..20" >&2; exit 2; }
if [ "$(id -u)" -ne 0 ]; then echo "bench-conns: needs root" >&2; exit 1; fi
command -v wrk >/dev/null || scripts/install-deps.sh >/dev/null

bench_jars

NT="tsbc-t-$$"   # tapstack: TAP, kernel side 10.0.0.1 (+ 10.0.1.x clients), tapstack 10.0.0.2
NA="tsbc-a-$$"   # Linux clients, veth 10.1.0.1 (+ 10.1.1.x)
NB="tsbc-b-$$"   # Linux servers, 10.1.0.2
WORK="$(mktemp -d)"
P_T="" P_NB="" P_PY=()
cleanup() {
  local p
  for p in "${P_PY[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  ns_cleanup "$NT" "$P_T"
  ns_cleanup "$NB" "$P_NB"
  ns_cleanup "$NA"
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

mkdir -p "$WORK/www"
printf 'Hello, world!\n' > "$WORK/www/hello.txt"
head -c 1048576 /dev/urandom > "$WORK/www/one-mb.bin"
SUM=$(sha256sum < "$WORK/www/one-mb.bin" | cut -d' ' -f1)

ns_create "$NT" tap0 10.0.0.1/16
veth_create "$NA" "$NB"
ip -n "$NA" addr del 10.1.0.1/24 dev veth0; ip -n "$NA" addr add 10.1.0.1/16 dev veth0
ip -n "$NB" addr del 10.1.0.2/24 dev veth1; ip -n "$NB" addr add 10.1.0.2/16 dev veth1
veth_up "$NA" "$NB"
# source addresses for the clients: 25,000 connections each at most (ports 32768-60999)
for i in $(seq 1 8); do
  ip -n "$NT" addr add "10.0.1.$i/16" dev tap0
  ip -n "$NA" addr add "10.1.1.$i/16" dev veth0
done
SRC_T=$(seq -s, -f '10.0.1.%g' 1 8); SRC_L=$(seq -s, -f '10.1.1.%g' 1 8)

# -Xms small and a periodic GC: G1 can give the heap of closed connections back (with -Xms = -Xmx
# it never uncommits; see docs/performance.md, "Memory after close"). G1 by name: pinned to one CPU
# the JVM would pick Serial, which keeps the heap it grew; glibc's free lists trimmed every 2 s.
NMT_OPT=""; [ "$NMT" = 1 ] && NMT_OPT="-XX:NativeMemoryTracking=summary"
ip netns exec "$NT" taskset -c 0 java $NMT_OPT -XX:+UseG1GC -Xms64m -Xmx"$HEAP" -XX:G1PeriodicGCInterval=2000 -XX:TrimNativeHeapInterval=2000 -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 -jar "$JAR" run --tap tap0 --ipv4 10.0.0.2/16 --no-ipv6 \
    --offload csum,tso,lro --services http --http-root "$WORK/www" --control "$WORK/t.sock" --quiet >"$WORK/t.log" 2>&1 &
P_T=$!
ip netns exec "$NB" taskset -c 0 java -Xms1g -Xmx1g -jar "$BENCH_JAR" netty-http --transport epoll --port 8080 \
    --root "$WORK/www" >"$WORK/nb.log" 2>&1 &
P_NB=$!
wait_for_line "$WORK/t.log" "tapstack: ready" 30 || { cat "$WORK/t.log" >&2; exit 1; }
wait_for_line "$WORK/nb.log" "netty-http: ready" 30 || { cat "$WORK/nb.log" >&2; exit 1; }
J_T=$(jvm_pid "$P_T")
[ "$NMT" = 1 ] && jcmd "$J_T" VM.native_memory baseline >/dev/null
for i in 1 2 3 4 5 6 7 8; do # Linux servers for the idle-connection load: 8 processes (20,000 fds each)
  ip netns exec "$NB" taskset -c 0 python3 scripts/lib/conns.py serve --port 80 --timeout 3600 &
  P_PY+=($!)
done
sleep 1

stat_t() { java -jar "$JAR" stat --host "$WORK/t.sock" -a 2>/dev/null; }
counter() { awk -v k="$2" '$2==k {s+=$1} END {printf "%.0f\n", s}' <<<"$1"; }
# the JIT warm-up (tapstack run's default) trains on two private stacks for up to 1.5 s after the
# ready line; measured before it ends, they count in "before" (a 1,000-connection row once read
# -5,725 bytes per connection). Wait until tapstack stat says it is done (warm_up: done; bounded).
for i in $(seq 1 40); do
  [ "$(counter "$(stat_t)" done)" = 1 ] && break
  sleep 0.25
done
sleep 5 # and the periodic G1 cycle and native-heap trim (2 s each) return its memory, as after a close
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$J_T/status"; }
heap_kb() { # Java heap used after two full GCs, KiB
  jcmd "$J_T" GC.run >/dev/null 2>&1 || true
  jcmd "$J_T" GC.run >/dev/null 2>&1 || true
  jcmd "$J_T" GC.heap_info 2>/dev/null | awk '/garbage-first heap|def new generation|PSYoungGen|ParOldGen|tenured generation/ {for (i=1;i<=NF;i++) if ($i=="used") {v=$(i+1); sub(/K,?/,"",v); s+=v}} END {printf "%.0f\n", s}'
}
# Linux TCP memory: sockstat mem pages (global) * 4 KiB + TCP slab objects * size, KiB
linux_kb() {
  local pages slab
  pages=$(awk '$1=="TCP:" {for (i=2;i<=NF;i++) if ($i=="mem") print $(i+1)}' /proc/net/sockstat)
  slab=$(awk '$1=="TCP" || $1=="request_sock_TCP" || $1=="tw_sock_TCP" {s+=$3*$4} END {print int(s/1024)}' /proc/slabinfo 2>/dev/null || echo 0)
  echo $((pages * 4 + slab))
}

# hold NS DST SRC-LIST N TAG-PREFIX: starts ceil(N/15000) client processes, waits until all opened
hold_start() {
  local ns=$1 dst=$2 srcs=$3 n=$4 tag=$5 per=15000 k=0 left
  rm -f "$WORK"/go-* "$WORK/$tag"-*.log
  left=$n
  while [ "$left" -gt 0 ]; do
    local c=$(( left < per ? left : per ))
    ip netns exec "$ns" taskset -c 1 python3 scripts/lib/conns.py hold --dst "$dst" --port 80 --src "$srcs" \
        --count "$c" --dir "$WORK" --tag "$tag-$k" --timeout 900 &
    P_PY+=($!)
    left=$((left - c)); k=$((k + 1))
  done
  HOLD_K=$k
  for i in $(seq 0 $((k - 1))); do wait_for_line "$WORK/$tag-$i.log" "^opened" 600 || { echo "bench-conns: clients did not open" >&2; exit 1; }; done
}
sum_field() { cat "$WORK/$1"-*.log | awk -v w="$2" '$1==w {s+=$2} END {printf "%.0f\n", s}'; }
max_secs() { cat "$WORK/$1"-*.log | awk '$1=="opened" && $3>m {m=$3} END {print m+0}'; }
phase() { # go-request / go-close, then wait for the word in every log
  touch "$WORK/$1"
  for i in $(seq 0 $((HOLD_K - 1))); do wait_for_line "$WORK/$3-$i.log" "^$2" 600 || { echo "bench-conns: clients stuck before '$2'" >&2; exit 1; }; done
}

echo "bench-conns: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) vCPUs, Linux $(uname -r); tapstack heap $HEAP"
echo
echo "## Idle connections"
echo
echo "| N | side | open time s | RSS before / held / 6 s / 30 s after close MiB | heap before/held/after MiB | bytes per idle connection | answered | Linux TCP KiB held (sockstat mem + slab) |"
echo "|---|---|---|---|---|---|---|---|"
for N in ${CONNS//,/ }; do
  # tapstack
  r0=$(rss_kb); h0=$(heap_kb); l0=$(linux_kb)
  hold_start "$NT" 10.0.0.2 "$SRC_T" "$N" t
  sleep 1
  r1=$(rss_kb); h1=$(heap_kb); l1=$(linux_kb)
  est=$(counter "$(stat_t)" curr_established)
  if [ "$HISTO" = 1 ]; then
    echo; echo "Heap classes with $N idle connections held (jcmd GC.class_histogram, top 20):"; echo '```'
    jcmd "$J_T" GC.class_histogram 2>/dev/null | sed -n '1,23p' | cut -c1-110; echo '```'; echo
  fi
  phase go-request answered t
  ans=$(sum_field t answered)
  phase go-close closed t
  sleep 6 # two periodic GCs (2 s) after the last close
  r2=$(rss_kb) # RSS 6 s after the last close, nothing forced
  sleep 24; r4=$(rss_kb) # 30 s after, still nothing forced (periodic GCs, native heap trims)
  h2=$(heap_kb); r3=$(rss_kb) # then after two full GCs
  if [ "$NMT" = 1 ]; then
    echo; echo "Native memory after closing $N (jcmd VM.native_memory summary.diff, committed, KB):"; echo '```'
    jcmd "$J_T" VM.native_memory summary.diff scale=KB 2>/dev/null | grep -E '^(Total|-)' | cut -c1-120; echo '```'
    sleep 10; echo "RSS 10 s later: $(( $(rss_kb) / 1024 )) MiB; after the full GCs:"; echo '```'
    jcmd "$J_T" VM.native_memory summary scale=KB 2>/dev/null | grep -E '^(Total|-) *(Total|Java Heap|Other|Code|GC|Arena)' | cut -c1-120
    echo "largest resident mappings (pmap -x, KiB: address size rss dirty mode mapping):"
    pmap -x "$J_T" 2>/dev/null | sort -k3 -n -r | head -8
    echo '```'; echo
  fi
  per=$(awk -v a="$h1" -v b="$h0" -v n="$N" 'BEGIN {printf "%.0f", (a-b)*1024/n}')
  echo "| $N | tapstack (TAP) | $(max_secs t) | $((r0/1024)) / $((r1/1024)) / $((r2/1024)) / $((r4/1024)) ($((r3/1024)) after full GCs) | $((h0/1024))/$((h1/1024))/$((h2/1024)) | $per (heap) | $ans/$N | $((l1 - l0)) (clients only) |"
  [ "$ans" -eq "$N" ] || echo "bench-conns: only $ans of $N idle connections answered (established: $est)" >&2
  # Linux
  l0=$(linux_kb)
  hold_start "$NA" 10.1.0.2 "$SRC_L" "$N" l
  sleep 1
  l1=$(linux_kb)
  phase go-request answered l
  ans=$(sum_field l answered)
  phase go-close closed l
  perl=$(awk -v a="$l1" -v b="$l0" -v n="$N" 'BEGIN {printf "%.0f", (a-b)*1024/n}')
  echo "| $N | Linux (veth, Python epoll) | $(max_secs l) | | | | $ans/$N | $((l1 - l0)) (clients and servers: $perl B/connection pair) |"
  sleep 2
done

echo
echo "## Churn: wrk -t1 -c100 -d${CHURN}s, Connection: close"
echo
kstat() { ip netns exec "$1" nstat -az 2>/dev/null | awk -v k="$2" '$1==k {print $2}'; }
ip netns exec "$NT" timeout 30 wrk -t1 -c50 -d2s -H 'Connection: close' http://10.0.0.2/hello.txt >/dev/null || true
ip netns exec "$NA" timeout 30 wrk -t1 -c50 -d2s -H 'Connection: close' http://10.1.0.2:8080/hello.txt >/dev/null || true
echo "| server | round | connections/s | heap allocated per connection | host retransmits | kernel retransmits (of them SYNs) | kernel D-SACKs sent |"
echo "|---|---|---|---|---|---|---|"
for round in 1 2 3; do
  s0=$(stat_t); k0=$(kstat "$NT" TcpRetransSegs); d0=$(kstat "$NT" TcpExtTCPDSACKOldSent); y0=$(kstat "$NT" TcpExtTCPSynRetrans)
  out=$(ip netns exec "$NT" taskset -c 1 timeout $((CHURN + 30)) wrk -t1 -c100 -d"${CHURN}s" -H 'Connection: close' http://10.0.0.2/hello.txt)
  s1=$(stat_t); k1=$(kstat "$NT" TcpRetransSegs); d1=$(kstat "$NT" TcpExtTCPDSACKOldSent); y1=$(kstat "$NT" TcpExtTCPSynRetrans)
  t_rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  opens=$(( $(counter "$s1" passive_opens) - $(counter "$s0" passive_opens) ))
  alloc=$(( $(counter "$s1" allocated_bytes) - $(counter "$s0" allocated_bytes) ))
  rtx=$(( $(counter "$s1" retransmitted_segments) - $(counter "$s0" retransmitted_segments) ))
  echo "| tapstack http | $round | $t_rps | $((alloc / (opens > 0 ? opens : 1))) B | $rtx | $((k1 - k0)) ($((y1 - y0))) | $((d1 - d0)) |"
  grep -qE 'Socket errors|Non-2xx' <<<"$out" && echo "bench-conns: wrk errors against tapstack: $out" >&2
  k0=$(kstat "$NA" TcpRetransSegs); d0=$(kstat "$NA" TcpExtTCPDSACKOldSent); y0=$(kstat "$NA" TcpExtTCPSynRetrans)
  out=$(ip netns exec "$NA" taskset -c 1 timeout $((CHURN + 30)) wrk -t1 -c100 -d"${CHURN}s" -H 'Connection: close' http://10.1.0.2:8080/hello.txt)
  k1=$(kstat "$NA" TcpRetransSegs); d1=$(kstat "$NA" TcpExtTCPDSACKOldSent); y1=$(kstat "$NA" TcpExtTCPSynRetrans)
  l_rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  echo "| Netty on epoll | $round | $l_rps | | | $((k1 - k0)) ($((y1 - y0))) | $((d1 - d0)) |"
  echo "$t_rps $l_rps" >> "$WORK/churn"
done
ratio=$(awk '{print $1/$2}' "$WORK/churn" | sort -g | awk '{a[NR]=$1} END {printf "%.2f (%.2f..%.2f)", a[int((NR+1)/2)], a[1], a[NR]}')
echo
echo "Churn ratio tapstack / Netty on epoll, median of 3 interleaved rounds (spread): $ratio"

echo
echo "## $DOWNLOADS concurrent 1 MB downloads (one curl process, --parallel)"
echo
# One curl process runs all N transfers at once (--parallel-max N, --parallel-immediate: every
# connection opened at the start), so the client's cost is the same small one on both sides
# (200 curl processes spawned on one CPU used to dominate both times). The timed part is the curl
# run alone; every body is written to a file and checked against the file's SHA-256 afterwards,
# and every transfer must have status 200 and 1,048,576 bytes, or the round fails loudly.
dl() { # NS URL -> seconds
  local t0 t1 bad i
  rm -rf "$WORK/dl"; mkdir -p "$WORK/dl"
  for i in $(seq 1 "$DOWNLOADS"); do printf 'url = "%s"\noutput = "%s/dl/%s"\n' "$2" "$WORK" "$i"; done > "$WORK/dl.cfg"
  t0=$(date +%s.%N)
  ip netns exec "$1" taskset -c 1 curl -s --no-progress-meter --max-time 60 --parallel --parallel-immediate --parallel-max "$DOWNLOADS" \
      -w '%{http_code} %{size_download}\n' -K "$WORK/dl.cfg" > "$WORK/dl.txt" 2>"$WORK/dl.err" || true
  t1=$(date +%s.%N)
  bad=$(grep -vc '^200 1048576$' "$WORK/dl.txt" || true)
  bad=$((bad + DOWNLOADS - $(wc -l < "$WORK/dl.txt")))
  bad=$((bad + $(cd "$WORK/dl" && sha256sum -- * | grep -vc "^$SUM" || true)))
  if [ "$bad" -ne 0 ]; then echo "bench-conns: $bad of $DOWNLOADS downloads failed or differ ($2)" >&2; echo FAIL; return; fi
  awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b-a}'
}
wt=""; wl=""
for round in $(seq 1 "$DL_WARM"); do # warm-up, interleaved: the JITs of both servers (times shown, no ratio)
  wt="$wt $(dl "$NT" http://10.0.0.2/one-mb.bin)"; wl="$wl $(dl "$NA" http://10.1.0.2:8080/one-mb.bin)"
done
echo "Warm-up rounds (s, in order; not in the ratio): tapstack$wt; Linux (Netty on epoll)$wl"
echo
echo "| round | tapstack s | Linux (Netty on epoll) s | Linux / tapstack |"
echo "|---|---|---|---|"
: > "$WORK/dlr"
for round in 1 2 3 4 5; do # interleaved, the order alternating
  if [ $((round % 2)) -eq 1 ]; then
    ts=$(dl "$NT" http://10.0.0.2/one-mb.bin); ls_=$(dl "$NA" http://10.1.0.2:8080/one-mb.bin)
  else
    ls_=$(dl "$NA" http://10.1.0.2:8080/one-mb.bin); ts=$(dl "$NT" http://10.0.0.2/one-mb.bin)
  fi
  if [ "$ts" = FAIL ] || [ "$ls_" = FAIL ]; then echo "| $round | $ts | $ls_ | (no ratio: a transfer failed) |"; continue; fi
  r=$(awk -v a="$ts" -v b="$ls_" 'BEGIN {printf "%.2f", b/a}')
  echo "$r" >> "$WORK/dlr"
  echo "| $round | $ts | $ls_ | $r |"
done
echo
if [ -s "$WORK/dlr" ]; then
  echo "Downloads ratio Linux / tapstack (> 1: tapstack faster), median of $(wc -l < "$WORK/dlr") interleaved rounds (spread): $(sort -g "$WORK/dlr" | awk '{a[NR]=$1} END {printf "%.2f (%.2f..%.2f)", a[int((NR+1)/2)], a[1], a[NR]}')"
else
  echo "bench-conns: no download round succeeded" >&2
fi
echo
echo "Command: scripts/bench-conns.sh --conns $CONNS --churn-seconds $CHURN --downloads $DOWNLOADS --download-warm-up $DL_WARM --heap $HEAP"

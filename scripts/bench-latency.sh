#!/usr/bin/env bash
# Ping RTT through tapstack against the kernel over a veth, at several intervals, interleaved: for
# each interval, round after round, every side answers one ping run (the order rotates each round),
# and each cell prints the median [min–max] of the runs' average RTT with the ratio to the kernel's.
# Beside the hosts it measures the lower bound of any stack behind a TAP: a tiny C responder
# (scripts/lib/tap_echo.c, built here with cc) that spins on a non-blocking read ("C echo, busy")
# or sleeps in poll() ("C echo, sleep"). The host side runs on CPU 0, ping on CPU 1; the CPU column
# is the answering process's CPU (all threads, ns from /proc/PID/task/*/schedstat) over the ping run, in % of one
# CPU. ping's RTT ends at the kernel's receive timestamp of the reply (SO_TIMESTAMP), so the wake-up
# of ping itself is not in it; "ping -U" (user to user, against the kernel) shows what it adds.
# After the rounds: each host's CPU with no traffic for 5 s, and its loop counters (idle policy).
# Needs root.
#
#   scripts/bench-latency.sh [--rounds N] [--count N] [--slow-count N] [--intervals "0.001 0.005 0.2"]
#                            [--host NAME=JAR:FLAGS]... [--quick]
#
#   --rounds N       ping runs per side and interval (default 5)
#   --count N        pings per run at intervals below 0.1 s (default 200)
#   --slow-count N   pings per run at 0.1 s and more (default 50)
#   --intervals L    ping intervals in seconds (default "0.001 0.005 0.2")
#   --host N=J:F     a tapstack host to measure, named N, from jar J with run flags F (repeatable;
#                    default: the built jar with its default idle policy, and with --idle sleep)
#   --quick          2 rounds of 20 pings: checks the script, the figures mean little
#
# Everything runs in namespaces this script creates and removes (one TAP namespace per host and one
# for the C echo: kernel 10.0.0.1, responder 10.0.0.2; veth: 10.1.0.1 ping side, 10.1.0.2 kernel).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/netns.sh

ROUNDS=5
COUNT=200
SLOW_COUNT=50
INTERVALS="0.001 0.005 0.2"
HOSTS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=${2:-}; shift 2 ;;
    --count) COUNT=${2:-}; shift 2 ;;
    --slow-count) SLOW_COUNT=${2:-}; shift 2 ;;
    --intervals) INTERVALS=${2:-}; shift 2 ;;
    --host) HOSTS+=("${2:-}"); shift 2 ;;
    --quick) ROUNDS=2; COUNT=20; SLOW_COUNT=10; shift ;;
    -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-latency: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for v in "$ROUNDS" "$COUNT" "$SLOW_COUNT"; do
  case "$v" in ''|*[!0-9]*) echo "bench-latency: --rounds/--count/--slow-count need a number" >&2; exit 2 ;; esac
done
[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 20 ] || { echo "bench-latency: --rounds must be 1..20" >&2; exit 2; }
[ "$COUNT" -ge 1 ] && [ "$COUNT" -le 10000 ] && [ "$SLOW_COUNT" -ge 1 ] && [ "$SLOW_COUNT" -le 1000 ] \
  || { echo "bench-latency: --count must be 1..10000, --slow-count 1..1000" >&2; exit 2; }
for i in $INTERVALS; do
  awk -v i="$i" 'BEGIN {exit !(i + 0 >= 0.001 && i + 0 <= 2)}' || { echo "bench-latency: intervals must be 0.001..2 s" >&2; exit 2; }
done
if [ "$(id -u)" -ne 0 ]; then echo "bench-latency: needs root" >&2; exit 1; fi

bench_jars
[ ${#HOSTS[@]} -gt 0 ] || HOSTS=("default=$JAR:" "sleep=$JAR:--idle sleep")

WORK="$(mktemp -d)"
NA="tslat-a-$$"
NB="tslat-b-$$"
NC="tslat-c-$$"
ECHO_PID=""
HOST_NS=()
HOST_PIDS=()
cleanup() {
  local i
  ns_cleanup "$NC" "$ECHO_PID"
  for i in "${!HOST_NS[@]}"; do ns_cleanup "${HOST_NS[$i]}" "${HOST_PIDS[$i]:-}"; done
  ns_cleanup "$NB"
  ns_cleanup "$NA"
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

cc -O2 -o "$WORK/tap_echo" scripts/lib/tap_echo.c
veth_create "$NA" "$NB"
veth_up "$NA" "$NB"
ns_create "$NC" tap0 10.0.0.1/24

# the hosts, each in its own namespace, all on CPU 0 (sleeping when not pinged)
NAMES=()
for i in "${!HOSTS[@]}"; do
  spec=${HOSTS[$i]}
  name=${spec%%=*}; rest=${spec#*=}; jar=${rest%%:*}; flags=${rest#*:}
  [ -f "$jar" ] || { echo "bench-latency: no jar $jar" >&2; exit 2; }
  ns="tslat-h$i-$$"
  HOST_NS+=("$ns")
  ns_create "$ns" tap0 10.0.0.1/24
  # shellcheck disable=SC2086 # FLAGS are words
  ip netns exec "$ns" taskset -c 0 java -Xms256m -Xmx256m -jar "$jar" run --tap tap0 --ipv4 10.0.0.2/24 --no-ipv6 \
      --control "$WORK/h$i.sock" --quiet $flags >"$WORK/h$i.log" 2>&1 &
  HOST_PIDS+=($!)
  NAMES+=("$name")
  wait_for_line "$WORK/h$i.log" "tapstack: ready" 30 || { cat "$WORK/h$i.log" >&2; exit 1; }
done

# a process's CPU time in ns, all its threads (schedstat: /proc/PID/stat counts 10 ms ticks)
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; }
# one ping run: prints "avg-ms cpu-%" ("nan nan" if any ping went unanswered)
ping_run() { # NS IP INTERVAL COUNT PID-or-empty [PING-FLAG]
  local out c0 c1 t0 t1 avg
  c0=$([ -n "$5" ] && cpu_ns "$5" || echo 0); t0=$(date +%s.%N)
  out=$(ip netns exec "$1" taskset -c 1 timeout $(( $(awk -v i="$3" -v n="$4" 'BEGIN {printf "%d", i * n}') + 20 )) \
        ping -n -q ${6:-} -c "$4" -i "$3" -W 1 "$2" 2>&1) || true
  c1=$([ -n "$5" ] && cpu_ns "$5" || echo 0); t1=$(date +%s.%N)
  avg=$(echo "$out" | awk -F/ '/^rtt/ {print $5}')
  if [ -z "$avg" ] || ! echo "$out" | grep -q " $4 received"; then
    echo "bench-latency: $2 from $1: $(echo "$out" | grep -E 'transmitted|rtt' | tr '\n' ' ')" >&2
    echo "nan nan"; return
  fi
  awk -v a="$avg" -v c=$((c1 - c0)) -v t0="$t0" -v t1="$t1" 'BEGIN {printf "%s %.2f\n", a, 100 * c / 1e9 / (t1 - t0)}'
}
echo_start() { # busy|sleep SECONDS
  rm -f "$WORK/echo.log" # not the last run's "ready"
  ip netns exec "$NC" taskset -c 0 "$WORK/tap_echo" tap0 10.0.0.2 "$1" "$2" >"$WORK/echo.log" 2>&1 &
  ECHO_PID=$!
  wait_for_line "$WORK/echo.log" "tap_echo: ready" 10 || { cat "$WORK/echo.log" >&2; exit 1; }
}
echo_stop() {
  if [ -n "$ECHO_PID" ]; then kill -TERM "$ECHO_PID" 2>/dev/null || true; wait "$ECHO_PID" 2>/dev/null || true; ECHO_PID=""; fi
}
side_run() { # SIDE INTERVAL COUNT -> "avg cpu"
  local s=$1 secs
  case "$s" in
    kernel) ping_run "$NA" 10.1.0.2 "$2" "$3" "" ;;
    kernelU) ping_run "$NA" 10.1.0.2 "$2" "$3" "" -U ;;
    cbusy|csleep)
      secs=$(awk -v i="$2" -v n="$3" 'BEGIN {printf "%d", i * n + 15}')
      echo_start "${s#c}" "$secs"
      ping_run "$NC" 10.0.0.2 "$2" "$3" "$ECHO_PID"
      echo_stop ;;
    h*) ping_run "${HOST_NS[${s#h}]}" 10.0.0.2 "$2" "$3" "${HOST_PIDS[${s#h}]}" ;;
  esac
}
side_name() {
  case "$1" in
    kernel) echo "kernel over a veth" ;;
    kernelU) echo "kernel over a veth, ping -U (user to user: with ping's own wake-up)" ;;
    cbusy) echo "C echo on the TAP, busy (lower bound)" ;;
    csleep) echo "C echo on the TAP, sleeping in poll()" ;;
    h*) echo "tapstack ${NAMES[${1#h}]}" ;;
  esac
}
SIDES=(kernel kernelU cbusy csleep)
for i in "${!HOSTS[@]}"; do SIDES+=("h$i"); done

# warm-up: ARP, the JIT of every host
for s in "${SIDES[@]}"; do side_run "$s" 0.001 500 >/dev/null; done

CSV="$WORK/runs.csv" # interval side avg cpu
for iv in $INTERVALS; do
  n=$(awk -v i="$iv" -v c="$COUNT" -v s="$SLOW_COUNT" 'BEGIN {print (i < 0.1) ? c : s}')
  for r in $(seq 1 "$ROUNDS"); do
    # rotate the order each round, so no side always follows the same one
    k=$(( (r - 1) % ${#SIDES[@]} ))
    for s in "${SIDES[@]:$k}" "${SIDES[@]:0:$k}"; do
      echo "$iv $s $(side_run "$s" "$iv" "$n")" >> "$CSV"
    done
  done
done

stats() { # values on stdin -> "median min max n" (nan ignored)
  grep -v nan | sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "nan nan nan 0"; exit}
    m = (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; print m, a[1], a[NR], NR}'
}
echo
echo "Command: \`scripts/bench-latency.sh --rounds $ROUNDS --count $COUNT --slow-count $SLOW_COUNT --intervals \"$INTERVALS\"\` on $(date -u +%Y-%m-%d); $(nproc) vCPUs, Linux $(uname -r). Responder on CPU 0, ping on CPU 1; median [min–max] of $ROUNDS runs' average RTT per side, sides interleaved (order rotating); a run with an unanswered ping is void."
for iv in $INTERVALS; do
  n=$(awk -v i="$iv" -v c="$COUNT" -v s="$SLOW_COUNT" 'BEGIN {print (i < 0.1) ? c : s}')
  read -r km _ _ kn < <(awk -v iv="$iv" '$1==iv && $2=="kernel" {print $3}' "$CSV" | stats)
  echo
  echo "ping -i $iv, $n pings a run:"
  echo
  echo "| responder | RTT avg, ms | vs kernel | responder CPU, % of one | valid runs |"
  echo "|---|---|---|---|---|"
  for s in "${SIDES[@]}"; do
    read -r m lo hi nn < <(awk -v iv="$iv" -v s="$s" '$1==iv && $2==s {print $3}' "$CSV" | stats)
    read -r cm clo chi _ < <(awk -v iv="$iv" -v s="$s" '$1==iv && $2==s {print $4}' "$CSV" | stats)
    ratio=$(awk -v a="$m" -v b="$km" -v n="$nn" -v kn="$kn" -v r="$ROUNDS" 'BEGIN {if (n < r || kn < r || b + 0 <= 0) print "void"; else printf "%.2f×", a / b}')
    case "$s" in kernel*) cpu="–" ;; *) cpu="$cm [$clo–$chi]" ;; esac
    echo "| $(side_name "$s") | $m [$lo–$hi] | $ratio | $cpu | $nn/$ROUNDS |"
  done
done

echo
echo "Idle hosts (no traffic for 5 s, after 1 s): CPU of all the JVM's threads in % of one (ns from /proc/PID/task/*/schedstat); loop counters (tapstack stat -a)."
echo
sleep 1
declare -A I0
for i in "${!HOSTS[@]}"; do I0[$i]=$(cpu_ns "${HOST_PIDS[$i]}"); done
sleep 5
for i in "${!HOSTS[@]}"; do
  t=$(( $(cpu_ns "${HOST_PIDS[$i]}") - ${I0[$i]} ))
  printf '%s: idle CPU %s %%; %s\n' "${NAMES[$i]}" "$(awk -v t="$t" 'BEGIN {printf "%.3f", 100 * t / 5e9}')" \
    "$(java -jar "$JAR" stat --host "$WORK/h$i.sock" -a 2>/dev/null | awk '/^[a-z0-9_]+:$/ {g=$1} g=="loop:" && NF==2 {printf "%s=%s ", $2, $1}')"
done

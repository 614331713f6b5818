#!/usr/bin/env bash
# Ping RTT through tapstack against the kernel over a veth, at several intervals, interleaved: for
# each interval, round after round, every side answers one ping run (the order rotates each round),
# and each cell prints the median [min–max] of the runs' average RTT with the ratio to the kernel's.
# Beside the hosts it measures the lower bound of any stack behind a TAP: a tiny C responder
# (scripts/lib/tap_echo.c, built here with cc) that spins on a non-blocking read ("C echo, busy")
# or sleeps in poll() ("C echo, sleep"). The host side runs on CPU 0, ping on CPU 1; the CPU column
# is the answering process's CPU (all threads, ns from /proc/PID/task/*/schedstat) over the ping run, in % of one
# CPU; "loop thread CPU per ping" is the schedstat of tapstack's loop thread (the C echo's one
# thread) over the run divided by the pings (its idle wake-ups in between included). ping's RTT
# ends at the kernel's receive timestamp of the reply (SO_TIMESTAMP), so the wake-up of ping itself
# is not in it; "ping -U" (user to user, against the kernel) shows what it adds.
# Responder delay: during the measured runs tcpdump captures ICMP on every TAP (nanosecond stamps,
# pinned to CPU 1, ended by PID); scripts/lib/echo_delay.py pairs each echo request with its reply
# and prints p50 / p90 in µs of request-to-reply on the TAP, pooled over the cell's runs: the
# responder's own delay without ping's. "(m of n)" when fewer requests than pings were paired. The
# kernel over the veth has no TAP ("–"). The capture adds the same packet-tap work to every TAP row.
# After the rounds: each host's CPU with no traffic for 5 s, and its loop counters (idle policy).
# With --fresh, then: a fresh host per round (the first --host's jar and flags), started anew,
# 2 s after its ready line (so the JIT warm-up `run` starts after ready has finished) one ARP ping,
# then FRESH_PINGS pings 200 ms apart; with the warm-up (run's default) and without (--no-warm-up)
# alternating, the order rotating; the same columns. Needs root.
#
#   scripts/bench-latency.sh [--rounds N] [--count N] [--slow-count N] [--intervals "0.001 0.005 0.2"]
#                            [--host NAME=JAR:FLAGS]... [--fresh] [--fresh-pings N] [--quick]
#
#   --rounds N       ping runs per side and interval, and fresh hosts per variant (default 5)
#   --count N        pings per run at intervals below 0.1 s (default 200)
#   --slow-count N   pings per run at 0.1 s and more (default 50)
#   --intervals L    ping intervals in seconds (default "0.001 0.005 0.2"; "" skips the ping tables,
#                    the warm hosts and the idle check: with --fresh, only the fresh-host table)
#   --host N=J:F     a tapstack host to measure, named N, from jar J with run flags F (repeatable;
#                    default: the built jar with its default idle policy, and with --idle sleep)
#   --fresh          also the fresh-host table (~20 s a round: two JVM starts, 2 × 7 s of pings)
#   --fresh-pings N  pings per fresh host after the ARP ping (default 25)
#   --quick          2 rounds of 20 pings (10 per fresh host): checks the script, the figures mean little
#
# The warm-up flags are WARM_UP_ON and WARM_UP_OFF below, checked against `run --help` (environment
# overrides them: for a jar whose `run` has the older opt-in flag, WARM_UP_ON=--warm-up WARM_UP_OFF= ).
# Everything runs in namespaces this script creates and removes (one TAP namespace per host, one
# for the C echo and one for the fresh hosts: kernel 10.0.0.1, responder 10.0.0.2; veth: 10.1.0.1
# ping side, 10.1.0.2 kernel).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/netns.sh

WARM_UP_ON=${WARM_UP_ON-}              # run's flags for the JIT warm-up after ready (on by default)
WARM_UP_OFF=${WARM_UP_OFF---no-warm-up} # and for none
FRESH=0
FRESH_PINGS=25
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
    --fresh) FRESH=1; shift ;;
    --fresh-pings) FRESH_PINGS=${2:-}; shift 2 ;;
    --quick) ROUNDS=2; COUNT=20; SLOW_COUNT=10; FRESH_PINGS=10; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
    *) echo "bench-latency: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for v in "$ROUNDS" "$COUNT" "$SLOW_COUNT" "$FRESH_PINGS"; do
  case "$v" in ''|*[!0-9]*) echo "bench-latency: --rounds/--count/--slow-count/--fresh-pings need a number" >&2; exit 2 ;; esac
done
[ "$FRESH_PINGS" -ge 1 ] && [ "$FRESH_PINGS" -le 300 ] || { echo "bench-latency: --fresh-pings must be 1..300" >&2; exit 2; }
[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 20 ] || { echo "bench-latency: --rounds must be 1..20" >&2; exit 2; }
[ "$COUNT" -ge 1 ] && [ "$COUNT" -le 10000 ] && [ "$SLOW_COUNT" -ge 1 ] && [ "$SLOW_COUNT" -le 1000 ] \
  || { echo "bench-latency: --count must be 1..10000, --slow-count 1..1000" >&2; exit 2; }
for i in $INTERVALS; do
  awk -v i="$i" 'BEGIN {exit !(i + 0 >= 0.001 && i + 0 <= 2)}' || { echo "bench-latency: intervals must be 0.001..2 s" >&2; exit 2; }
done
if [ "$(id -u)" -ne 0 ]; then echo "bench-latency: needs root" >&2; exit 1; fi

python3 scripts/lib/echo_delay.py --self-test >/dev/null # the capture reader, checked before it is relied on
bench_jars
[ ${#HOSTS[@]} -gt 0 ] || HOSTS=("default=$JAR:" "sleep=$JAR:--idle sleep")
for spec in "${HOSTS[@]}"; do
  rest=${spec#*=}; [ -f "${rest%%:*}" ] || { echo "bench-latency: no jar ${rest%%:*}" >&2; exit 2; }
done

WORK="$(mktemp -d)"
NA="tslat-a-$$"
NB="tslat-b-$$"
NC="tslat-c-$$"
NF="tslat-f-$$"
ECHO_PID=""
FRESH_PID=""
HOST_NS=()
HOST_PIDS=()
declare -A CAP_PID=() # namespace -> the PID of its tcpdump
cleanup() {
  local i
  pid_stop "${CAP_PID[@]}"
  ns_cleanup "$NF" "$FRESH_PID"
  ns_cleanup "$NC" "$ECHO_PID"
  for i in "${!HOST_NS[@]}"; do ns_cleanup "${HOST_NS[$i]}" "${HOST_PIDS[$i]:-}"; done
  ns_cleanup "$NB"
  ns_cleanup "$NA"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap "exit 130" INT TERM

# a process's CPU time in ns, all its threads (schedstat: /proc/PID/stat counts 10 ms ticks)
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; }
# one thread's CPU time in ns (0 when there is no thread)
thread_ns() { awk '{print $1}' /proc/"$1"/task/"$2"/schedstat 2>/dev/null || echo 0; }
# loop_tid PID: the TID of the host's event loop thread ("tapstack-tap0")
loop_tid() {
  local t
  for t in /proc/"$1"/task/*; do
    if [ "$(cat "$t/comm" 2>/dev/null)" = "tapstack-tap0" ]; then basename "$t"; return; fi
  done
  echo "bench-latency: no loop thread tapstack-tap0 in process $1" >&2
}
# one ping run: prints "avg-ms cpu-% loop-us-per-ping t0 t1" ("nan" for avg and cpu if any ping
# went unanswered; t0..t1 is the run's wall-clock window, for the captures)
ping_run() { # NS IP INTERVAL COUNT PID-or-empty TID-or-empty [PING-FLAG]
  local out c0 c1 l0 l1 t0 t1 avg
  c0=$([ -n "$5" ] && cpu_ns "$5" || echo 0); l0=$([ -n "$6" ] && thread_ns "$5" "$6" || echo 0); t0=$(date +%s.%N)
  out=$(ip netns exec "$1" taskset -c 1 timeout $(( $(awk -v i="$3" -v n="$4" 'BEGIN {printf "%d", i * n}') + 20 )) \
        ping -n -q ${7:-} -c "$4" -i "$3" -W 1 "$2" 2>&1) || true
  c1=$([ -n "$5" ] && cpu_ns "$5" || echo 0); l1=$([ -n "$6" ] && thread_ns "$5" "$6" || echo 0); t1=$(date +%s.%N)
  avg=$(echo "$out" | awk -F/ '/^rtt/ {print $5}')
  if [ -z "$avg" ] || ! echo "$out" | grep -q " $4 received"; then
    echo "bench-latency: $2 from $1: $(echo "$out" | grep -E 'transmitted|rtt' | tr '\n' ' ')" >&2
    avg=nan
  fi
  awk -v a="$avg" -v c=$((c1 - c0)) -v l=$((l1 - l0)) -v n="$4" -v t0="$t0" -v t1="$t1" 'BEGIN {
    if (a == "nan") printf "nan nan"; else printf "%s %.2f", a, 100 * c / 1e9 / (t1 - t0)
    printf " %.1f %s %s\n", l / 1e3 / n, t0, t1}'
}

# cap_start NS PINGS SECONDS: tcpdump of ICMP on NS's tap0 into $WORK/NS.pcap, at most 2 × PINGS +
# 200 frames and SECONDS (the runs' windows pick their frames; ARP and the warm-up are not captured)
cap_start() {
  rm -f "$WORK/$1.pcap.err"
  ip netns exec "$1" taskset -c 1 timeout "$3" tcpdump -i tap0 -p -n -s 96 --time-stamp-precision=nano \
      -c $(( 2 * $2 + 200 )) -w "$WORK/$1.pcap" icmp 2>"$WORK/$1.pcap.err" &
  CAP_PID[$1]=$!
  wait_for_line "$WORK/$1.pcap.err" "listening on" 10 || { cat "$WORK/$1.pcap.err" >&2; exit 1; }
}
# cap_stop: ends every capture (SIGINT by PID, after the 1 s its kernel buffer may hold frames) and
# says when one dropped frames
cap_stop() {
  local ns
  sleep 1.2
  for ns in "${!CAP_PID[@]}"; do
    kill -INT "${CAP_PID[$ns]}" 2>/dev/null || true
    wait "${CAP_PID[$ns]}" 2>/dev/null || true
    awk '/dropped by kernel/ && $1 > 0 {print "bench-latency: the capture on " ns " dropped " $1 " frames" > "/dev/stderr"}' \
        ns="$ns" "$WORK/$ns.pcap.err"
  done
  CAP_PID=()
}
# delays RUNS OUT: responder delay per key (echo_delay.py), "KEY p50 p90 matched sent"
delays() { if [ -s "$1" ]; then python3 scripts/lib/echo_delay.py "$1" > "$2"; else : > "$2"; fi; }
# delay_cell KEY FILE: "p50 / p90", with "(m of n)" when not every ping was paired; "–" without a TAP
delay_cell() {
  awk -v k="$1" '$1 == k {found = 1; printf "%s / %s", $2, $3; if ($4 != $5) printf " (%s of %s)", $4, $5}
    END {if (!found) printf "–"; print ""}' "$2"
}
stats() { # values on stdin -> "median min max n" (nan ignored)
  grep -v nan | sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "nan nan nan 0"; exit}
    m = (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; print m, a[1], a[NR], NR}'
}
# cell FILE AWK-SELECT COLUMN: "median [min–max]" of a column of the selected rows
cell() { read -r m lo hi _ < <(awk "$2 {print \$$3}" "$1" | stats); echo "$m [$lo–$hi]"; }

echo_start() { # busy|sleep SECONDS
  rm -f "$WORK/echo.log" # not the last run's "ready"
  ip netns exec "$NC" taskset -c 0 "$WORK/tap_echo" tap0 10.0.0.2 "$1" "$2" >"$WORK/echo.log" 2>&1 &
  ECHO_PID=$!
  wait_for_line "$WORK/echo.log" "tap_echo: ready" 10 || { cat "$WORK/echo.log" >&2; exit 1; }
}
echo_stop() {
  if [ -n "$ECHO_PID" ]; then kill -TERM "$ECHO_PID" 2>/dev/null || true; wait "$ECHO_PID" 2>/dev/null || true; ECHO_PID=""; fi
}
side_run() { # SIDE INTERVAL COUNT -> "avg cpu loop-us t0 t1"
  local s=$1 secs
  case "$s" in
    kernel) ping_run "$NA" 10.1.0.2 "$2" "$3" "" "" ;;
    kernelU) ping_run "$NA" 10.1.0.2 "$2" "$3" "" "" -U ;;
    cbusy|csleep)
      secs=$(awk -v i="$2" -v n="$3" 'BEGIN {printf "%d", i * n + 15}')
      echo_start "${s#c}" "$secs"
      ping_run "$NC" 10.0.0.2 "$2" "$3" "$ECHO_PID" "$ECHO_PID"
      echo_stop ;;
    h*) ping_run "${HOST_NS[${s#h}]}" 10.0.0.2 "$2" "$3" "${HOST_PIDS[${s#h}]}" "${HOST_TIDS[${s#h}]}" ;;
  esac
}
side_ns() { case "$1" in cbusy|csleep) echo "$NC" ;; h*) echo "${HOST_NS[${1#h}]}" ;; esac; }
side_name() {
  case "$1" in
    kernel) echo "kernel over a veth" ;;
    kernelU) echo "kernel over a veth, ping -U (user to user: with ping's own wake-up)" ;;
    cbusy) echo "C echo on the TAP, busy (lower bound)" ;;
    csleep) echo "C echo on the TAP, sleeping in poll()" ;;
    h*) echo "tapstack ${NAMES[${1#h}]}" ;;
  esac
}

interval_tables() {
  local i spec name rest jar flags ns iv n r k s total secs res
  cc -O2 -o "$WORK/tap_echo" scripts/lib/tap_echo.c
  veth_create "$NA" "$NB"
  veth_up "$NA" "$NB"
  ns_create "$NC" tap0 10.0.0.1/24

  # the hosts, each in its own namespace, all on CPU 0 (sleeping when not pinged)
  NAMES=()
  HOST_TIDS=()
  for i in "${!HOSTS[@]}"; do
    spec=${HOSTS[$i]}
    name=${spec%%=*}; rest=${spec#*=}; jar=${rest%%:*}; flags=${rest#*:}
    ns="tslat-h$i-$$"
    HOST_NS+=("$ns")
    ns_create "$ns" tap0 10.0.0.1/24
    # shellcheck disable=SC2086 # FLAGS are words
    ip netns exec "$ns" taskset -c 0 java -Xms256m -Xmx256m -jar "$jar" run --tap tap0 --ipv4 10.0.0.2/24 --no-ipv6 \
        --control "$WORK/h$i.sock" --quiet $flags >"$WORK/h$i.log" 2>&1 &
    HOST_PIDS+=($!)
    NAMES+=("$name")
    wait_for_line "$WORK/h$i.log" "tapstack: ready" 30 || { cat "$WORK/h$i.log" >&2; exit 1; }
    HOST_TIDS+=("$(loop_tid "$(jvm_pid "${HOST_PIDS[$i]}")")")
  done
  SIDES=(kernel kernelU cbusy csleep)
  for i in "${!HOSTS[@]}"; do SIDES+=("h$i"); done

  # warm-up: ARP, the JIT of every host
  for s in "${SIDES[@]}"; do side_run "$s" 0.001 500 >/dev/null; done

  # the captures, bounded by the pings of the rounds and (twice) their planned time
  total=0; secs=300
  for iv in $INTERVALS; do
    n=$(awk -v i="$iv" -v c="$COUNT" -v s="$SLOW_COUNT" 'BEGIN {print (i < 0.1) ? c : s}')
    total=$(( total + ROUNDS * n ))
    secs=$(awk -v s="$secs" -v r="$ROUNDS" -v k=${#SIDES[@]} -v i="$iv" -v n="$n" 'BEGIN {printf "%d", s + 2 * r * k * (i * n + 3)}')
  done
  cap_start "$NC" $(( 2 * total )) "$secs"
  for ns in "${HOST_NS[@]}"; do cap_start "$ns" "$total" "$secs"; done

  CSV="$WORK/runs.csv" # interval side avg cpu loop-us t0 t1
  for iv in $INTERVALS; do
    n=$(awk -v i="$iv" -v c="$COUNT" -v s="$SLOW_COUNT" 'BEGIN {print (i < 0.1) ? c : s}')
    for r in $(seq 1 "$ROUNDS"); do
      # rotate the order each round, so no side always follows the same one
      k=$(( (r - 1) % ${#SIDES[@]} ))
      for s in "${SIDES[@]:$k}" "${SIDES[@]:0:$k}"; do
        res=$(side_run "$s" "$iv" "$n")
        echo "$iv $s $res" >> "$CSV"
        ns=$(side_ns "$s")
        [ -z "$ns" ] || echo "$iv:$s $WORK/$ns.pcap $(echo "$res" | awk '{print $4, $5}') $n" >> "$WORK/delay-runs"
      done
    done
  done
  cap_stop
  delays "$WORK/delay-runs" "$WORK/delays"

  echo
  echo "Command: \`scripts/bench-latency.sh --rounds $ROUNDS --count $COUNT --slow-count $SLOW_COUNT --intervals \"$INTERVALS\"\` on $(date -u +%Y-%m-%d); $(nproc) vCPUs, Linux $(uname -r). Responder on CPU 0, ping on CPU 1; median [min–max] of $ROUNDS runs' average RTT per side, sides interleaved (order rotating); a run with an unanswered ping is void. Responder delay: request to reply on the TAP (tcpdump), p50 / p90 of all the cell's pings."
  local m lo hi nn km kn ratio cpu loop
  for iv in $INTERVALS; do
    n=$(awk -v i="$iv" -v c="$COUNT" -v s="$SLOW_COUNT" 'BEGIN {print (i < 0.1) ? c : s}')
    read -r km _ _ kn < <(awk -v iv="$iv" '$1==iv && $2=="kernel" {print $3}' "$CSV" | stats)
    echo
    echo "ping -i $iv, $n pings a run:"
    echo
    echo "| responder | RTT avg, ms | vs kernel | responder CPU, % of one | loop thread CPU per ping, µs | responder delay p50 / p90, µs | valid runs |"
    echo "|---|---|---|---|---|---|---|"
    for s in "${SIDES[@]}"; do
      read -r m lo hi nn < <(awk -v iv="$iv" -v s="$s" '$1==iv && $2==s {print $3}' "$CSV" | stats)
      ratio=$(awk -v a="$m" -v b="$km" -v n="$nn" -v kn="$kn" -v r="$ROUNDS" 'BEGIN {if (n < r || kn < r || b + 0 <= 0) print "void"; else printf "%.2f×", a / b}')
      case "$s" in
        kernel*) cpu="–"; loop="–" ;;
        *) cpu=$(cell "$CSV" "\$1==\"$iv\" && \$2==\"$s\"" 4); loop=$(cell "$CSV" "\$1==\"$iv\" && \$2==\"$s\"" 5) ;;
      esac
      echo "| $(side_name "$s") | $m [$lo–$hi] | $ratio | $cpu | $loop | $(delay_cell "$iv:$s" "$WORK/delays") | $nn/$ROUNDS |"
    done
  done

  echo
  echo "Idle hosts (no traffic for 5 s, after 1 s): CPU of all the JVM's threads in % of one (ns from /proc/PID/task/*/schedstat); loop counters (tapstack stat -a)."
  echo
  sleep 1
  local -A I0
  local t
  for i in "${!HOSTS[@]}"; do I0[$i]=$(cpu_ns "${HOST_PIDS[$i]}"); done
  sleep 5
  for i in "${!HOSTS[@]}"; do
    t=$(( $(cpu_ns "${HOST_PIDS[$i]}") - ${I0[$i]} ))
    printf '%s: idle CPU %s %%; %s\n' "${NAMES[$i]}" "$(awk -v t="$t" 'BEGIN {printf "%.3f", 100 * t / 5e9}')" \
      "$(java -jar "$JAR" stat --host "$WORK/h$i.sock" -a 2>/dev/null | awk '/^[a-z0-9_]+:$/ {g=$1} g=="loop:" && NF==2 {printf "%s=%s ", $2, $1}')"
  done
}

# fresh_run on|off JAR FLAGS: a new host in $NF, 2 s after ready one ARP ping, then FRESH_PINGS
# pings 200 ms apart; appends ping_run's line to fresh.csv and the run's window to fresh-runs (not in
# a subshell: FRESH_PID must stay visible to cleanup)
fresh_run() {
  local variant=$1 jar=$2 flags=$3 pid tid res
  if [ "$variant" = on ]; then flags="$flags $WARM_UP_ON"; else flags="$flags $WARM_UP_OFF"; fi
  rm -f "$WORK/fresh.log" "$WORK/fresh.sock"
  ip -n "$NF" neigh flush dev tap0 # a new host may have a new MAC address
  # shellcheck disable=SC2086 # FLAGS are words
  ip netns exec "$NF" taskset -c 0 java -Xms256m -Xmx256m -jar "$jar" run --tap tap0 --ipv4 10.0.0.2/24 --no-ipv6 \
      --control "$WORK/fresh.sock" --quiet $flags >"$WORK/fresh.log" 2>&1 &
  FRESH_PID=$!
  wait_for_line "$WORK/fresh.log" "tapstack: ready" 60 || { cat "$WORK/fresh.log" >&2; exit 1; }
  sleep 2
  ip netns exec "$NF" taskset -c 1 ping -n -q -c 1 -W 2 10.0.0.2 >/dev/null 2>&1 || true
  pid=$(jvm_pid "$FRESH_PID")
  tid=$(loop_tid "$pid")
  res=$(ping_run "$NF" 10.0.0.2 0.2 "$FRESH_PINGS" "$pid" "$tid")
  pid_stop "$FRESH_PID"
  wait "$FRESH_PID" 2>/dev/null || true
  FRESH_PID=""
  echo "$variant $res" >> "$WORK/fresh.csv"
  echo "fresh:$variant $WORK/$NF.pcap $(echo "$res" | awk '{print $4, $5}') $FRESH_PINGS" >> "$WORK/fresh-runs"
}

fresh_table() {
  local spec=${HOSTS[0]} rest jar flags r v m lo hi nn om f n
  rest=${spec#*=}; jar=${rest%%:*}; flags=${rest#*:}
  # the warm-up flags must be run's (picocli shows a negatable --no-X as --[no-]X)
  java -jar "$jar" run --help > "$WORK/run-help" 2>&1 || true
  for f in $WARM_UP_ON $WARM_UP_OFF; do
    n=${f#--}; n=${n#no-}
    if ! grep -qF -e "$f " -e "$f," -e "--[no-]$n " "$WORK/run-help"; then
      echo "bench-latency: $jar's run has no $f (an older jar: WARM_UP_ON=--warm-up WARM_UP_OFF= $0 ...)" >&2
      exit 2
    fi
  done
  ns_create "$NF" tap0 10.0.0.1/24
  cap_start "$NF" $(( 2 * ROUNDS * (FRESH_PINGS + 1) )) $(( 2 * ROUNDS * (80 + FRESH_PINGS) ))
  for r in $(seq 1 "$ROUNDS"); do
    for v in $( [ $((r % 2)) -eq 1 ] && echo "on off" || echo "off on"); do
      fresh_run "$v" "$jar" "$flags"
    done
  done
  cap_stop
  delays "$WORK/fresh-runs" "$WORK/fresh-delays"

  echo
  echo "Fresh host: \`tapstack run\` started anew for every run ($jar, flags \"$flags\"), 2 s after its ready line one ARP ping, then $FRESH_PINGS pings 200 ms apart; warm-up on (\"$WARM_UP_ON\") and off (\"$WARM_UP_OFF\") alternating, $ROUNDS rounds each (order rotating); median [min–max] of the runs' average RTT. Loop thread CPU per ping includes its idle wake-ups between pings."
  echo
  echo "| fresh host | RTT avg, ms | vs warm-up off | loop thread CPU per ping, µs | responder delay p50 / p90, µs | valid runs |"
  echo "|---|---|---|---|---|---|"
  read -r om _ _ _ < <(awk '$1=="off" {print $2}' "$WORK/fresh.csv" | stats)
  for v in on off; do
    read -r m lo hi nn < <(awk -v v="$v" '$1==v {print $2}' "$WORK/fresh.csv" | stats)
    echo "| warm-up $v | $m [$lo–$hi] | $(awk -v a="$m" -v b="$om" -v n="$nn" -v r="$ROUNDS" 'BEGIN {if (n < r || b + 0 <= 0) print "void"; else printf "%.2f×", a / b}') | $(cell "$WORK/fresh.csv" "\$1==\"$v\"" 4) | $(delay_cell "fresh:$v" "$WORK/fresh-delays") | $nn/$ROUNDS |"
  done
}

[ -z "$INTERVALS" ] || interval_tables
[ "$FRESH" -eq 0 ] || fresh_table

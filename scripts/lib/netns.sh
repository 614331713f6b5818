# Shared helpers for scripts that make a network namespace with a TAP inside it.
# Everything is created inside the namespace; ns_cleanup removes exactly what ns_create made.

# ns_create NS TAP KERNEL_ADDR/LEN
ns_create() {
  local ns=$1 tap=$2 addr=$3
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip -n "$ns" tuntap add dev "$tap" mode tap
  ip -n "$ns" link set "$tap" txqueuelen 10000
  ip -n "$ns" addr add "$addr" dev "$tap"
  ip -n "$ns" link set "$tap" up
}

# pid_stop [PID...]: stops our own processes by PID (TERM, then KILL after 5 s); empty PIDs are skipped.
pid_stop() {
  local pid
  for pid in "$@"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}

# ns_cleanup NS [PID...]: stops our own processes by PID, then deletes the namespace.
ns_cleanup() {
  local ns=$1; shift
  pid_stop "$@"
  if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
    ip netns del "$ns"
  fi
}

# wait_for_line FILE PATTERN SECONDS
wait_for_line() {
  local file=$1 pat=$2 secs=$3 i
  for i in $(seq 1 $((secs * 10))); do
    if grep -q "$pat" "$file" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# veth_create NA NB: two namespaces joined by a veth, veth0 in NA (10.1.0.1/24) and veth1 in NB
# (10.1.0.2/24), both down (set link options, then veth_up); ns_cleanup removes each namespace.
veth_create() {
  local na=$1 nb=$2
  ip netns add "$na"; ip netns add "$nb"
  ip -n "$na" link set lo up; ip -n "$nb" link set lo up
  ip -n "$na" link add veth0 type veth peer name veth1 netns "$nb"
  ip -n "$na" addr add 10.1.0.1/24 dev veth0; ip -n "$nb" addr add 10.1.0.2/24 dev veth1
}

# veth_up NA NB: brings up the pair veth_create made
veth_up() {
  ip -n "$1" link set veth0 up; ip -n "$2" link set veth1 up
}

# nft_drop_table NS DEV TABLE: a netdev ingress chain on DEV in NS (table TABLE) with a counter
# "dropped"; nft_drop_rate adds its random drop rule, nft_drop_count reads the counter. The
# table goes away with the namespace.
nft_drop_table() {
  ip netns exec "$1" nft -f - <<NFT
table netdev $3 {
  counter dropped { }
  chain ingress {
    type filter hook ingress device "$2" priority 0; policy accept;
  }
}
NFT
}

# nft_drop_rate NS TABLE SADDR PCT: drop PCT % of the IPv4 frames from SADDR entering (0: none)
nft_drop_rate() {
  ip netns exec "$1" nft flush chain netdev "$2" ingress
  if [ "$4" -gt 0 ]; then
    ip netns exec "$1" nft add rule netdev "$2" ingress ip saddr "$3" numgen random mod 100 "<" "$4" counter name dropped drop
  fi
}

# nft_drop_count NS TABLE: frames dropped so far
nft_drop_count() {
  ip netns exec "$1" nft list counter netdev "$2" dropped | awk '/packets/ {for (i=1;i<=NF;i++) if ($i=="packets") print $(i+1)}'
}

# jvm_pid PID: the JVM's PID under "ip netns exec ... taskset ... java" started as PID (its last descendant)
jvm_pid() { local p=$1 c; while c=$(pgrep -P "$p" | head -1) && [ -n "$c" ]; do p=$c; done; echo "$p"; }

# bench_jars: sets JAR and BENCH_JAR (the CLI and benchmark jars), building them if missing
bench_jars() {
  JAR=tools/target/tapstack.jar
  BENCH_JAR=benchmarks/target/tapstack-bench.jar
  { [ -f "$JAR" ] && [ -f "$BENCH_JAR" ]; } || mvn -B -q -ntp -DskipTests package
}

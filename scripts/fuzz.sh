#!/usr/bin/env bash
# Coverage-guided fuzzing with Jazzer (JAZZER_FUZZ=1) of one target or of all of them, one
# after another (Jazzer fuzzes one @FuzzTest per JVM).
#
#   scripts/fuzz.sh [TARGET] [--minutes N] [--keep K] [--list]
#
# TARGET is Class#method (e.g. WireFuzzTarget#ipv4), a Class (all its @FuzzTest methods), or
# nothing (every *FuzzTarget in the project). --minutes is per method (default 5); a method also
# ends at @FuzzTest's maxExecutions (10 million, issue 15's goal) or maxDuration (1h), whichever
# comes first: `scripts/fuzz.sh --minutes 60` gives every method 10 million executions or an hour.
# --keep K copies the K newest entries of the generated corpus into the committed inputs
# (corpus-<sha>), so that regression mode covers what was reached.
# The generated corpus stays in MODULE/.cifuzz-corpus/ (not committed); a finding is written by
# Jazzer as a regression input under MODULE/src/test/resources/<package>/<Class>Inputs/<method>/,
# which the normal build then runs: fix the bug, keep the input. Ends with a table of the
# executions each method ran (libFuzzer's "Done N runs in S second(s)").
# Without JAZZER_FUZZ the same targets run in regression mode in every `mvn test` (the committed
# inputs only, fast).
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=""
MINUTES=5
LIST=0
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) MINUTES=$2; shift 2 ;;
    --list) LIST=1; shift ;;
    --keep) KEEP=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    -*) echo "fuzz: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) TARGET=$1; shift ;;
  esac
done
case "$MINUTES" in ''|*[!0-9]*) echo "fuzz: --minutes needs a whole number" >&2; exit 2 ;; esac

# every "Class#method module" pair
all_targets() {
  grep -rl --include='*FuzzTarget.java' '@FuzzTest' -- */src/test/java | sort | while read -r f; do
    module=${f%%/src/test/java/*}
    cls=$(basename "$f" .java)
    awk '/@FuzzTest/ {want=1} want && /void [a-zA-Z0-9_]+\(/ {match($0, /void [a-zA-Z0-9_]+\(/); print substr($0, RSTART+5, RLENGTH-6); want=0}' "$f" |
      while read -r m; do echo "$cls#$m $module"; done
  done
}

selected=$(all_targets | awk -v t="$TARGET" '{split($1, p, "#")} t == "" || t == $1 || t == p[1]')
if [ -z "$selected" ]; then
  echo "fuzz: no fuzz target '$TARGET'; these exist:" >&2
  all_targets | awk '{print "  " $1}' >&2
  exit 2
fi
if [ "$LIST" = 1 ]; then
  echo "$selected" | awk '{print $1 "  (" $2 ")"}'
  exit 0
fi

mkdir -p target
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
status=0
# every process below $1
descendants() {
  local c
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$c"
    descendants "$c"
  done
}

while read -r target module; do
  log="target/fuzz-${target/\#/-}.log"
  echo "== fuzzing $target in $module for $MINUTES min (log: $log)"
  # Jazzer 0.24 takes the fuzzing time only from @FuzzTest(maxDuration) (1h on every target):
  # a shorter run is ended with SIGINT to the test JVM, after which libFuzzer prints its totals.
  JAZZER_FUZZ=1 mvn -B -ntp -o -pl "$module" -am test \
    -Dtest="$target" -Dsurefire.failIfNoSpecifiedTests=false \
    -Djazzer.instrument='io.tapstack.**' -Djazzer.hooks=true >"$log" 2>&1 &
  mvnpid=$!
  # the clock starts when libFuzzer does (after the build)
  for _ in $(seq 1 600); do
    grep -aq 'INFO: Seed:' "$log" 2>/dev/null && break
    kill -0 "$mvnpid" 2>/dev/null || break
    sleep 1
  done
  end=$((SECONDS + MINUTES * 60))
  while kill -0 "$mvnpid" 2>/dev/null && [ "$SECONDS" -lt "$end" ]; do sleep 2; done
  interrupted=0
  if kill -0 "$mvnpid" 2>/dev/null; then
    for p in $(descendants "$mvnpid"); do
      if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q surefire; then
        kill -INT "$p" 2>/dev/null && interrupted=1
      fi
    done
  fi
  set +e
  wait "$mvnpid"
  rc=$?
  set -e
  runs=$(grep -aoE 'Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1 | awk '{print $2 " runs in " $5 " s"}' || true)
  [ -n "$runs" ] || runs=$(grep -aoE '^#[0-9]+' "$log" | tail -1 | tr -d '#' | awk '{print $1 " runs"}' || true)
  cov=$(grep -aoE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1 || true)
  if grep -aq -e '== Java Exception' -e 'Test unit written to' -e 'ERROR: libFuzzer' "$log"; then
    verdict="FINDING: see $log"
    status=1
  elif [ $rc -ne 0 ] && [ $interrupted -eq 0 ]; then
    verdict="FAILED (exit $rc): see $log"
    status=1
  else
    verdict="ok ($cov)"
  fi
  printf '%-40s %-26s %s\n' "$target" "${runs:-?}" "$verdict" | tee -a "$summary"
  if [ "$KEEP" -gt 0 ]; then
    cls=${target%%#*}
    method=${target#*#}
    src=$(ls -d "$module"/.cifuzz-corpus/*."$cls"/"$method" 2>/dev/null | head -1)
    file=$(grep -rl --include="$cls.java" "class $cls" "$module/src/test/java" | head -1)
    pkgdir=$(dirname "${file#"$module"/src/test/java/}")
    dst="$module/src/test/resources/$pkgdir/${cls}Inputs/$method"
    if [ -n "$src" ]; then
      mkdir -p "$dst"
      ls -t "$src" | head -"$KEEP" | while read -r f; do cp "$src/$f" "$dst/corpus-$f"; done
      echo "   kept $(ls "$dst" | grep -c '^corpus-') corpus inputs in $dst"
    fi
  fi
done <<<"$selected"
echo
printf '%-40s %-26s %s\n' target executions result
cat "$summary"
exit $status

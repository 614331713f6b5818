#!/usr/bin/env bash
# Runs the whole tapstack test suite: unit tests and integration tests (TAP in network
# namespaces; needs root and /dev/net/tun — with CI=true a missing TAP or privilege fails).
# Extra arguments go to Maven, e.g.: scripts/test.sh -pl stack -Dtest=ArpTest
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
exec mvn -B -ntp verify "$@"

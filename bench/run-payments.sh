#!/usr/bin/env bash
# End-to-end payment latency, replicated store vs in-memory store, in one run (issues 4 and 5).
# Builds cluster-config, raft-statemachine, node-adapter and bench inside this checkout (offline, -DskipTests, no
# install; never stale jars from ~/.m2) and runs io.lnraft.bench.PaymentLatencyHarness; every
# argument is passed through (--help lists them), e.g. bench/run-payments.sh --short
# Output also goes to bench/results/<UTC date-time>-payments.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -o -pl cluster-config,raft-statemachine,node-adapter,bench -DskipTests package
mkdir -p bench/results
out="bench/results/$(date -u +%Y-%m-%d-%H%M)-payments.txt"
{ echo "# $(date -u) $(uname -srm) nproc=$(nproc) git=$(git rev-parse --short HEAD) args: $*"; uptime; } | tee "$out"
java -Xmx1g -cp "bench/target/classes:$(cat bench/target/classpath.txt)" io.lnraft.bench.PaymentLatencyHarness "$@" 2>&1 | tee -a "$out"
uptime | tee -a "$out"

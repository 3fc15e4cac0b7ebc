#!/usr/bin/env bash
# Builds the bench module with the modules it runs (offline; never stale jars from ~/.m2) and runs the
# commit-latency harness; every argument is passed through, e.g. bench/run.sh --short
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -o -pl cluster-config,raft-statemachine,node-adapter,bench -DskipTests package
exec java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" io.lnraft.bench.CommitLatencyHarness "$@"

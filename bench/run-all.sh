#!/usr/bin/env bash
# The whole commit-latency comparison of issue 5 in one run: our store (gRPC, Netty) side by side
# with fdatasync, local RocksDB sync, PostgreSQL 15 (synchronous_commit=on, alone and with a
# synchronous streaming standby) and a 3-member etcd cluster, writers 1/16/64, same payload.
#
#   bench/run-all.sh --short     # quick check, < 3 min (build included)
#   bench/run-all.sh             # the RESULTS.md run: 2 interleaved rounds x 10 s per configuration
#   bench/run-all.sh --rounds 3 --seconds 20 ...   # any CommitLatencyHarness option (--help) passes through
#
# Starts PostgreSQL and etcd on free loopback ports in a temp dir (installing the Debian packages
# postgresql and etcd-server if missing, as root), stops them and deletes the dir on exit, failure
# or Ctrl-C. Output: bench/results/<date>-all.txt and the plot bench/commit-latency.png (+ .csv);
# --short writes them under bench/target/ instead, so a quick check never replaces the full run's.
set -euo pipefail
cd "$(dirname "$0")/.."

short=0
for a in "$@"; do [ "$a" = "--short" ] && short=1; done

mvn -q -o -pl cluster-config,raft-statemachine,node-adapter,bench -DskipTests package

work=$(mktemp -d /tmp/lnraft-baselines-XXXXXX)
chmod 755 "$work"   # the PostgreSQL servers run as user postgres and must reach their data dirs
cleanup() {
  bench/baselines/etcd.sh stop "$work/etcd" || true
  bench/baselines/postgres.sh stop "$work/pg" || true
  rm -rf "$work" || echo "run-all.sh: could not delete $work" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench/baselines/postgres.sh start "$work/pg"
bench/baselines/etcd.sh start "$work/etcd"
. "$work/pg/env"
. "$work/etcd/env"
cat "$work/pg/pids" "$work/etcd/pids" > "$work/server-pids"

if [ "$short" -eq 1 ]; then
  mkdir -p bench/target
  out=bench/target/run-all-short.txt
  plot=bench/target/commit-latency-short.png
  defaults=()
else
  mkdir -p bench/results
  out=bench/results/$(date -u +%Y-%m-%d-%H%M)-all.txt
  plot=bench/commit-latency.png
  defaults=(--rounds 2 --seconds 10)
fi

# Later options win, so "$@" can override the defaults. The harness' own dir (replica logs, Raft logs,
# RocksDB) is inside $work too, so the trap deletes it even if the harness could not.
java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" io.lnraft.bench.CommitLatencyHarness \
  "${defaults[@]}" --pg "$PG_SINGLE_URL" --pg-standby "$PG_STANDBY_URL" --etcd "$ETCD_ENDPOINTS" \
  --cpu-pids "$work/server-pids" --plot "$plot" --dir "$work/harness" "$@" 2>&1 | tee "$out"
echo "output: $out; plot: $plot"

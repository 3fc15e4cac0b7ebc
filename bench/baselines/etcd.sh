#!/usr/bin/env bash
# etcd baseline of the commit-latency bench (issue 5): a 3-member cluster (Debian etcd-server) on
# loopback ports, data dirs in DIR.
# usage: etcd.sh start DIR   -> writes DIR/env (ETCD_ENDPOINTS, comma-separated client URLs) and DIR/pids
#        etcd.sh stop DIR    -> SIGTERM (then SIGKILL) the members and delete DIR
# Installs the Debian package etcd-server if missing (as root).
set -euo pipefail
. "$(dirname "$0")/common.sh"

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: $0 start|stop DIR"

case "$cmd" in
  start)
    ensure_package etcd etcd-server
    command -v curl >/dev/null || ensure_package curl curl
    mkdir -p "$dir"
    : > "$dir/pids"
    declare -a client peer
    cluster=""
    for i in 1 2 3; do
      client[$i]=$(free_port); peer[$i]=$(free_port)
      cluster="${cluster:+$cluster,}e$i=http://127.0.0.1:${peer[$i]}"
    done
    for i in 1 2 3; do
      # Quota above the default 2 GiB and hourly-free compaction: a long run writes ~1 GB of history.
      etcd --name "e$i" --data-dir "$dir/e$i" \
        --listen-client-urls "http://127.0.0.1:${client[$i]}" --advertise-client-urls "http://127.0.0.1:${client[$i]}" \
        --listen-peer-urls "http://127.0.0.1:${peer[$i]}" --initial-advertise-peer-urls "http://127.0.0.1:${peer[$i]}" \
        --initial-cluster "$cluster" --initial-cluster-token lnraft-bench --initial-cluster-state new \
        --quota-backend-bytes 8589934592 --auto-compaction-mode periodic --auto-compaction-retention 1m \
        --log-level warn > "$dir/e$i.log" 2>&1 &
      echo $! >> "$dir/pids"
    done
    endpoints=""
    for i in 1 2 3; do
      ok=0
      for t in $(seq 1 300); do
        if curl -sf "http://127.0.0.1:${client[$i]}/health" | grep -q '"health":"true"'; then ok=1; break; fi
        sleep 0.1
      done
      [ "$ok" -eq 1 ] || { tail -20 "$dir/e$i.log" >&2; die "etcd member e$i not healthy within 30 s (log above)"; }
      endpoints="${endpoints:+$endpoints,}http://127.0.0.1:${client[$i]}"
    done
    echo "ETCD_ENDPOINTS='$endpoints'" > "$dir/env"
    echo "etcd $(etcd --version | awk 'NR==1{print $3}'): 3 members, clients on $endpoints ($dir)"
    ;;
  stop)
    kill_pids "$dir/pids"
    remove_dir "$dir"
    ;;
  *) die "usage: $0 start|stop DIR" ;;
esac

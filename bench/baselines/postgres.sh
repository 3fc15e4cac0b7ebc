#!/usr/bin/env bash
# PostgreSQL baselines of the commit-latency bench (issue 5), on loopback, in DIR:
#   DIR/single               a primary without standby         (synchronous_commit=on: local WAL flush)
#   DIR/primary + standby    a primary with one synchronous streaming standby (synchronous_standby_names='*')
# usage: postgres.sh start DIR   -> writes DIR/env (PG_SINGLE_URL, PG_STANDBY_URL) and DIR/pids (postmasters)
#        postgres.sh stop DIR    -> stops all three (fast shutdown, then SIGKILL) and deletes DIR
# Installs the Debian package postgresql if missing (as root). As root, the servers run as user postgres.
set -euo pipefail
. "$(dirname "$0")/common.sh"

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: $0 start|stop DIR"

pgbin() {
  local d
  for d in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

as_pg() {  # runs a command as the postgres user when we are root (initdb/postgres refuse to run as root)
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_all() {
  local bin d
  bin=$(pgbin || true)
  for d in standby primary single; do
    if [ -f "$dir/$d/postmaster.pid" ] && [ -n "$bin" ]; then
      as_pg "$bin/pg_ctl" -D "$dir/$d" -m fast -t 20 stop >/dev/null 2>&1 || true
    fi
  done
  kill_pids "$dir/pids"   # whatever did not stop in time
}

case "$cmd" in
  start)
    if ! pgbin >/dev/null; then ensure_package /usr/lib/postgresql/15/bin/initdb postgresql; fi
    bin=$(pgbin) || die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin after install"
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then
      id postgres >/dev/null 2>&1 || die "user postgres missing (the postgresql package creates it)"
      chown postgres: "$dir"
      # postgres must be able to reach DIR through its parents (e.g. a 0700 temp dir)
      as_pg test -x "$dir" || die "user postgres cannot enter $dir: make its parent directories o+x"
    fi
    : > "$dir/pids"
    start_one() {  # NAME PORT [extra postgresql.conf lines]
      local name=$1 port=$2 extra=${3:-}
      as_pg "$bin/pg_ctl" -D "$dir/$name" -l "$dir/$name.log" -w -t 60 \
        -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir $extra" start >/dev/null \
        || { tail -20 "$dir/$name.log" >&2; die "PostgreSQL $name did not start on port $port (log above)"; }
      head -1 "$dir/$name/postmaster.pid" >> "$dir/pids"
    }
    init_one() {  # NAME
      as_pg "$bin/initdb" -D "$dir/$1" -U postgres --auth=trust -E UTF8 --no-locale >/dev/null \
        || die "initdb $dir/$1 failed"
      cat >> "$dir/$1/postgresql.conf" <<CONF
# bench baseline (bench/baselines/postgres.sh): durable as in production
fsync = on
synchronous_commit = on
full_page_writes = on
wal_level = replica
max_wal_senders = 4
max_connections = 200
CONF
    }
    p_single=$(free_port); init_one single; start_one single "$p_single"
    p_primary=$(free_port); init_one primary
    echo "synchronous_standby_names = '*'" >> "$dir/primary/postgresql.conf"
    start_one primary "$p_primary"
    p_standby=$(free_port)
    as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$p_primary" -U postgres -D "$dir/standby" -R -X stream \
      --checkpoint=fast >/dev/null || die "pg_basebackup of the primary (port $p_primary) failed"
    start_one standby "$p_standby" "-c hot_standby=on"
    ok=0
    for i in $(seq 1 300); do
      n=$("$bin/psql" -h 127.0.0.1 -p "$p_primary" -U postgres -Atc \
        "select count(*) from pg_stat_replication where sync_state = 'sync' and state = 'streaming'" 2>/dev/null || echo 0)
      [ "$n" = "1" ] && { ok=1; break; }
      sleep 0.1
    done
    [ "$ok" -eq 1 ] || { tail -20 "$dir/standby.log" >&2; die "the standby did not become a synchronous streaming standby within 30 s"; }
    cat > "$dir/env" <<ENV
PG_SINGLE_URL='jdbc:postgresql://127.0.0.1:$p_single/postgres?user=postgres'
PG_STANDBY_URL='jdbc:postgresql://127.0.0.1:$p_primary/postgres?user=postgres'
ENV
    echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}'): single on $p_single, primary on $p_primary with synchronous standby on $p_standby ($dir)"
    ;;
  stop)
    stop_all
    remove_dir "$dir"
    ;;
  *) die "usage: $0 start|stop DIR" ;;
esac

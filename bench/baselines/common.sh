# Shared helpers of bench/baselines/*.sh (sourced, not run).

die() { echo "$(basename "$0"): $*" >&2; exit 1; }

# A TCP port on 127.0.0.1 nobody listens on (random in 20000-59999; checked by connecting).
free_port() {
  local p i
  for i in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  die "no free loopback port found in 200 tries"
}

# apt-get install PACKAGES if COMMAND is missing (root only; otherwise say what to install).
ensure_package() {
  local cmd=$1; shift
  if [ -x "$cmd" ] || command -v "$cmd" >/dev/null 2>&1; then return 0; fi
  [ "$(id -u)" -eq 0 ] || die "$cmd missing: run as root, or: sudo apt-get install -y $*"
  echo "installing $* (apt-get)" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2 \
    || die "apt-get install $* failed"
}

# Kills the pids listed in FILE: SIGTERM, up to 15 s, then SIGKILL.
kill_pids() {
  local file=$1 pid left i
  [ -f "$file" ] || return 0
  for pid in $(cat "$file"); do kill "$pid" 2>/dev/null || true; done
  for i in $(seq 1 150); do
    left=0
    for pid in $(cat "$file"); do kill -0 "$pid" 2>/dev/null && left=1; done
    [ "$left" -eq 0 ] && return 0
    sleep 0.1
  done
  for pid in $(cat "$file"); do kill -9 "$pid" 2>/dev/null || true; done
}

# Deletes DIR once nothing runs from it any more: kills (TERM, then KILL) leftover processes whose
# command line names DIR (e.g. PostgreSQL backends still exiting after their postmaster), then
# retries rm for up to 10 s (a process exiting under load may still write a file meanwhile).
remove_dir() {
  local dir=$1 i pids
  [ -n "$dir" ] && [ -e "$dir" ] || return 0
  for i in $(seq 1 20); do
    pids=$(pgrep -f -- "$dir/" || true)
    [ -z "$pids" ] && break
    if [ "$i" -lt 10 ]; then kill $pids 2>/dev/null || true; else kill -9 $pids 2>/dev/null || true; fi
    sleep 0.5
  done
  for i in $(seq 1 10); do
    rm -rf "$dir" 2>/dev/null || true
    [ -e "$dir" ] || return 0
    sleep 1
  done
  echo "$(basename "$0"): could not delete $dir" >&2
  return 1
}

#!/usr/bin/env bash
# with-postgres.sh CMD...: run CMD with a throwaway PostgreSQL cluster.
#
# Starts a cluster from this machine's PostgreSQL binaries in a temporary
# directory on a free loopback port, exports STRATA_TEST_POSTGRES_URL and
# STRATA_REQUIRE_POSTGRES=1 for CMD, and removes the cluster when CMD ends,
# whatever its outcome. When the binaries are missing and we run as root, it
# installs PostgreSQL with apt-get. initdb refuses to run as root, so as root
# the cluster runs as the 'postgres' user in a directory that user owns.
set -euo pipefail

log() { echo "with-postgres: $*" >&2; }

find_bin() {
  local name=$1 d
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/$name" ]; then echo "$d/$name"; return 0; fi
  done
  return 1
}

if ! find_bin initdb >/dev/null || ! find_bin pg_ctl >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "PostgreSQL binaries not found; installing with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
  else
    log "PostgreSQL binaries (initdb, pg_ctl) not found; install PostgreSQL or run as root to let this script install it"
    exit 1
  fi
fi
INITDB=$(find_bin initdb)
PG_CTL=$(find_bin pg_ctl)

as_owner=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
  if command -v runuser >/dev/null; then as_owner=(runuser -u postgres --); else as_owner=(su postgres -s /bin/sh -c); fi
fi
run_owner() {
  if [ ${#as_owner[@]} -eq 0 ]; then "$@"
  elif [ "${as_owner[0]}" = runuser ]; then "${as_owner[@]}" "$@"
  else "${as_owner[@]}" "$(printf '%q ' "$@")"; fi
}

dir=$(mktemp -d "${TMPDIR:-/tmp}/strata-pg.XXXXXX")
chmod 755 "$dir"
[ "$(id -u)" = 0 ] && chown postgres: "$dir"
data="$dir/data"

cleanup() {
  run_owner "$PG_CTL" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

run_owner "$INITDB" -D "$data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; log "initdb failed"; exit 1; }

# Tests need no durability: the cluster is thrown away. STRATA_PG_DURABLE=1
# keeps PostgreSQL's defaults (fsync, synchronous commits, full page
# writes), for benchmarks that should pay what a production database pays.
durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
if [ "${STRATA_PG_DURABLE:-}" = 1 ]; then durability=""; fi

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
started=""
for _ in $(seq 1 20); do
  port=$(( 20000 + RANDOM % 40000 ))
  port_free "$port" || continue
  if run_owner "$PG_CTL" -D "$data" -l "$dir/server.log" -w -t 60 start \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 $durability -c max_connections=300" >/dev/null; then
    started=$port; break
  fi
  log "start on port $port failed; trying another"
done
[ -n "$started" ] || { cat "$dir/server.log" >&2 || true; log "could not start PostgreSQL"; exit 1; }

export STRATA_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$started/postgres?sslmode=disable"
export STRATA_REQUIRE_POSTGRES=1
log "$("$PG_CTL" --version) on 127.0.0.1:$started (data in $dir${durability:+; fsync and synchronous commits off})"
set +e
"$@"
status=$?
set -e
exit $status

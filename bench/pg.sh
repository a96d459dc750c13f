#!/usr/bin/env bash
# Run the benchmark (or any command given) against a throwaway PostgreSQL cluster on 127.0.0.1.
#
#   bench/pg.sh                      # bench/run_bench.py with its defaults
#   bench/pg.sh --requests 100       # arguments go to run_bench.py
#   bench/pg.sh -- .venv/bin/python -m pytest directory -q    # any command instead
#
# The cluster lives in a temporary directory and is stopped and deleted at the end. Set
# BENCH_PGDATA=/some/dir to keep it (and its million listings) for the next run instead.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "Installing PostgreSQL (apt-get install postgresql)…"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
PGBIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

free_port() {
    .venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

KEEP=${BENCH_PGDATA:-}
if [ -n "$KEEP" ]; then
    ROOT=$KEEP
    mkdir -p "$ROOT"
else
    ROOT=$(mktemp -d /tmp/commonweal-bench-pg.XXXXXX)
fi
[ "$(id -u)" = 0 ] && chown postgres "$ROOT"
PORT=$(free_port)

stop_pg() {
    as_postgres "$PGBIN/pg_ctl" -D "$ROOT/data" -m fast stop >/dev/null 2>&1 || true
    [ -z "$KEEP" ] && rm -rf "$ROOT"
    return 0
}
trap stop_pg EXIT INT TERM

if [ ! -f "$ROOT/data/PG_VERSION" ]; then
    as_postgres "$PGBIN/initdb" -D "$ROOT/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
fi
# Durability settings are off only because this cluster is thrown away; memory settings are
# modest ones a small production server would have.
as_postgres "$PGBIN/pg_ctl" -D "$ROOT/data" -l "$ROOT/log" -w -o "-h 127.0.0.1 -p $PORT -k $ROOT \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
    -c shared_buffers=512MB -c effective_cache_size=4GB -c work_mem=16MB \
    -c maintenance_work_mem=256MB -c max_wal_size=4GB" start >/dev/null
as_postgres "$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -qtAc \
    "SELECT 1 FROM pg_database WHERE datname = 'commonweal'" | grep -q 1 ||
    as_postgres "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres commonweal
export DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/commonweal"
echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') at 127.0.0.1:$PORT ($ROOT)"

if [ "${1:-}" = "--" ]; then
    shift
    "$@"
else
    .venv/bin/python bench/run_bench.py "$@"
fi

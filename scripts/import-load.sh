#!/usr/bin/env bash
# Measures incident creates while a large CMDB import runs against the
# same database: builds the binary, generates a fleet of CIS CIs (steward
# cmdb generate), starts `steward serve --demo` on a fresh SQLite folder
# (or STEWARD_LOAD_DATABASE_URL, an empty PostgreSQL schema you created),
# measures creates alone for BASELINE seconds, then starts `steward import
# cis` of the generated file and runs `steward bench --scenario create`
# with CLIENTS clients for DURATION seconds while it runs. It prints both
# bench results, whether the import was still running when the bench
# ended (so that the whole bench overlapped it), and the import's summary.
# Only 127.0.0.1 is contacted; what the script started is stopped at the
# end, whatever happens.
#
#   scripts/import-load.sh                             # 1,000,000 CIs, 4 clients, 60 s
#   CIS=200000 DURATION=30 scripts/import-load.sh
#   SYNC=full scripts/import-load.sh                    # serve with --sqlite-synchronous full
#   IMPORT_ARGS=--dry-run scripts/import-load.sh        # a dry run instead
#   STEWARD_LOAD_DATABASE_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable&search_path=loadbench' \
#       scripts/import-load.sh
set -euo pipefail

CIS=${CIS:-1000000}
CLIENTS=${CLIENTS:-4}
DURATION=${DURATION:-60}
BASELINE=${BASELINE:-20}
SYNC=${SYNC:-normal}
BIN=${BIN:-/tmp/steward-bench}
IMPORT_ARGS=${IMPORT_ARGS:-}

cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/steward-load.XXXXXX)
pid=""
ipid=""
stop() {
	local p=$1
	if [[ -n $p ]] && kill -0 "$p" 2>/dev/null; then
		kill -TERM "$p"
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
		kill -0 "$p" 2>/dev/null && kill -KILL "$p"
		wait "$p" 2>/dev/null || true
	fi
}
cleanup() {
	stop "$ipid"
	stop "$pid"
	rm -rf "$work"
}
trap cleanup EXIT

if [[ ${BUILD:-1} == 1 ]]; then
	echo "building $BIN"
	go build -o "$BIN" ./cmd/steward
fi

if [[ -n ${STEWARD_LOAD_DATABASE_URL:-} ]]; then
	storage=(--database-url "$STEWARD_LOAD_DATABASE_URL")
else
	storage=(--data "$work/data" --sqlite-synchronous "$SYNC")
fi

echo "generating $CIS CIs"
"$BIN" cmdb generate --cis "$CIS" --seed 1 --out "$work/fleet" >/dev/null

port=""
for _ in $(seq 20); do
	p=$((20000 + RANDOM % 10000))
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[[ -n $port ]] || { echo "no free port found" >&2; exit 1; }
url="http://127.0.0.1:$port"

"$BIN" serve "${storage[@]}" --demo --addr "127.0.0.1:$port" --log-level warn >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 300); do
	curl -fs --max-time 2 "$url/readyz" >/dev/null 2>&1 && break
	kill -0 "$pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
	sleep 0.2
done
curl -fs --max-time 2 "$url/readyz" >/dev/null || { echo "server did not start" >&2; exit 1; }
STEWARD_BENCH_TOKEN=$("$BIN" token create "${storage[@]}" --email admin@steward.demo --name load)
export STEWARD_BENCH_TOKEN

if ((BASELINE > 0)); then
	echo "== incident creates alone, $CLIENTS clients, ${BASELINE}s"
	"$BIN" bench --url "$url" --clients "$CLIENTS" --duration "${BASELINE}s" --scenario create
fi

echo "== incident creates during: steward import cis ($CIS CIs) $IMPORT_ARGS"
start=$(date +%s)
# shellcheck disable=SC2086
"$BIN" import cis "$work/fleet/cis.csv" "${storage[@]}" $IMPORT_ARGS >"$work/import.out" 2>"$work/import.err" &
ipid=$!
sleep 2 # past the import's start, into its reading
"$BIN" bench --url "$url" --clients "$CLIENTS" --duration "${DURATION}s" --scenario create
if kill -0 "$ipid" 2>/dev/null; then
	echo "the import was still running when the bench ended ($(($(date +%s) - start)) s in)"
else
	echo "WARNING: the import ended before the bench did; lower DURATION or raise CIS"
fi
wait "$ipid" && status=0 || status=$?
ipid=""
echo "== import (exit status $status, $(($(date +%s) - start)) s)"
cat "$work/import.out"
tail -n 3 "$work/import.err"

#!/usr/bin/env bash
# Measures how much a large attachment raises the memory of a real
# `steward serve`: builds the binary, starts it on a fresh SQLite folder
# (or STEWARD_RSS_DATABASE_URL, an empty PostgreSQL schema you created),
# uploads a random file to an incident, downloads it, checks the SHA-256,
# and reads VmRSS and VmHWM from /proc/PID/status and the Go heap from
# /metrics after each step. Only 127.0.0.1 is contacted; the server is
# stopped at the end, whatever happens.
#
#   scripts/attachment-rss.sh                  # 25 MB, 2 rounds, SQLite
#   SIZE_MB=10 ROUNDS=3 scripts/attachment-rss.sh
#   BUILD=0 BIN=/tmp/steward-old scripts/attachment-rss.sh   # a binary built before
#   STEWARD_RSS_DATABASE_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable&search_path=rssbench' \
#       scripts/attachment-rss.sh
#
# The first round fills SQLite's page caches (32 MB for the writer, 8 MB
# per reader), which a busy server already has; later rounds show what
# each further file costs.
set -euo pipefail

SIZE_MB=${SIZE_MB:-25}
ROUNDS=${ROUNDS:-2}
BIN=${BIN:-/tmp/steward-bench}
SETTLE=${SETTLE:-10} # seconds to wait before the last sample

cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/steward-rss.XXXXXX)
pid=""
cleanup() {
	if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

if [[ ${BUILD:-1} == 1 ]]; then
	echo "building $BIN"
	go build -o "$BIN" ./cmd/steward
fi

if [[ -n ${STEWARD_RSS_DATABASE_URL:-} ]]; then
	storage=(--database-url "$STEWARD_RSS_DATABASE_URL")
	engine=postgres
else
	storage=(--data "$work/data")
	engine=sqlite
fi

# A free port on loopback: one nothing answers on.
port=""
for _ in $(seq 20); do
	p=$((20000 + RANDOM % 10000))
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[[ -n $port ]] || { echo "no free port found" >&2; exit 1; }
url="http://127.0.0.1:$port"

email=rss@bench.test
printf 'a-long-password\n' | "$BIN" user create "${storage[@]}" --email "$email" --name "RSS bench" --role admin \
	--password-stdin >/dev/null 2>"$work/cli.log" || { cat "$work/cli.log" >&2; exit 1; }
token=$("$BIN" token create "${storage[@]}" --email "$email" --name rss 2>"$work/cli.log") || { cat "$work/cli.log" >&2; exit 1; }
auth=(-H "Authorization: Bearer $token")

"$BIN" serve "${storage[@]}" --addr "127.0.0.1:$port" --log-level warn >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 150); do
	curl -fs --max-time 2 "$url/readyz" >/dev/null 2>&1 && break
	kill -0 "$pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
	sleep 0.2
done
curl -fs --max-time 2 "$url/readyz" >/dev/null || { echo "server did not start" >&2; exit 1; }

rows=()
# sample LABEL: records VmRSS, VmHWM, RssAnon, RssFile (kB) and the Go
# heap in use and held from the OS (bytes) under LABEL.
sample() {
	local st metrics
	st=$(cat "/proc/$pid/status")
	metrics=$(curl -fsS --max-time 10 "${auth[@]}" "$url/metrics")
	rows+=("$1|$(awk '/^VmRSS:/ {r=$2} /^VmHWM:/ {h=$2} /^RssAnon:/ {a=$2} /^RssFile:/ {f=$2} END {print r "|" h "|" a "|" f}' <<<"$st")|$(
		awk '/^go_memstats_heap_inuse_bytes / {i=$2} /^go_memstats_heap_sys_bytes / {s=$2} /^go_memstats_heap_released_bytes / {r=$2}
			END {printf "%d|%d", i, s-r}' <<<"$metrics")")
}

# roundtrip FILE: uploads FILE to the incident, downloads it, compares.
roundtrip() {
	local f=$1 out id want got
	out=$(curl -fsS --max-time 300 "${auth[@]}" -F "file=@$f;filename=$(basename "$f")" \
		-w '\n%{time_total}' "$url/api/v1/incidents/$ref/attachments")
	id=$(head -n1 <<<"$out" | jq -r .id)
	echo "  upload   $(basename "$f"): attachment $id in $(tail -n1 <<<"$out") s"
	[[ -z ${2:-} ]] || sample "$2"
	got=$(curl -fsS --max-time 300 "${auth[@]}" -o "$work/download" -w '%{time_total}' "$url/api/v1/attachments/$id")
	echo "  download $(basename "$f"): $(stat -c %s "$work/download") bytes in $got s"
	want=$(sha256sum "$f" | cut -d' ' -f1)
	got=$(sha256sum "$work/download" | cut -d' ' -f1)
	[[ $want == "$got" ]] || { echo "sha256 differs: sent $want, got $got" >&2; exit 1; }
	rm -f "$work/download"
}

ref=$(curl -fsS --max-time 10 "${auth[@]}" -H 'Content-Type: application/json' \
	-d '{"title":"Scanner firmware image for the loading dock"}' "$url/api/v1/incidents" | jq -r .number)
sample "started, one incident"
# Warm-up: the first small file loads the upload and download paths.
head -c $((256 << 10)) /dev/urandom >"$work/warmup.bin"
roundtrip "$work/warmup.bin"
sample "baseline (after 256 KB file)"
head -c $((SIZE_MB << 20)) /dev/urandom >"$work/big.bin"
for i in $(seq "$ROUNDS"); do
	roundtrip "$work/big.bin" "round $i: after upload"
	sample "round $i: after download"
done
sleep "$SETTLE"
sample "${SETTLE} s later"

echo
echo "$engine, $SIZE_MB MB ($((SIZE_MB << 20)) bytes) per file, sha256 verified; load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| Stage                        |  VmRSS |  VmHWM | RssAnon | RssFile | Go heap | Go held |   ΔRSS |"
echo "|------------------------------|--------|--------|---------|---------|---------|---------|--------|"
base=$(cut -d'|' -f2 <<<"${rows[1]}")
for row in "${rows[@]}"; do
	awk -F'|' -v b="$base" '{printf "| %-28s | %6.1f | %6.1f | %7.1f | %7.1f | %7.1f | %7.1f | %+6.1f |\n",
		$1, $2/1024, $3/1024, $4/1024, $5/1024, $6/1048576, $7/1048576, ($2-b)/1024}' <<<"$row"
done
echo "MB are MiB. Go heap: in use; Go held: heap_sys - heap_released. ΔRSS: VmRSS against the baseline row."

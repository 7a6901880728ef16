#!/usr/bin/env bash
# Compares, on this machine, Prometheus Alertmanager (Debian's
# prometheus-alertmanager) and Steward ingesting the same fleet's alerts
# from `steward events loadgen`: one alert per device, batches of BATCH
# with CLIENTS concurrent senders. For each side it reports:
#   - ingest: alerts accepted per second, batch latency p50/p99;
#   - memory: VmRSS and VmHWM from /proc/PID/status, Go heap in use
#     (go_memstats_heap_inuse_bytes from /metrics) before and after, and
#     heap per active alert;
#   - listing: Alertmanager's GET /api/v2/alerts/groups; Steward's alert
#     console, GET /alerts?state=open (signed in) and GET
#     /api/v1/alerts?state=open&limit=50 (curl time_total, median of RUNS).
# Steward stores events first and turns them into alerts in the
# background: its side also waits until the inbox is drained and reports
# the rate from the first event to the last alert.
#
# Each server runs on a free 127.0.0.1 port with its own temporary storage
# and is stopped by its process id at the end, whatever happens. Nothing
# but 127.0.0.1 is contacted.
#
#   bench/alertmanager-compare.sh                     # both, 132,000 alerts
#   SIDE=alertmanager bench/alertmanager-compare.sh
#   SIDE=steward ALERTS=1000000 DEVICES=1000000 STEWARD_BATCH=1000 bench/alertmanager-compare.sh
#   BUILD=0 BIN=/tmp/steward-bench bench/alertmanager-compare.sh   # a binary built before
#
# Results (JSON of each run, logs) stay in OUT.
set -euo pipefail

ALERTS=${ALERTS:-132000}
DEVICES=${DEVICES:-$ALERTS} # one alert per device: ALERTS events are ALERTS distinct alerts
CLIENTS=${CLIENTS:-8}
BATCH=${BATCH:-100}
STEWARD_BATCH=${STEWARD_BATCH:-$BATCH}
FAULTS=${FAULTS:-0.05}
SEED=${SEED:-1}
# warning: every heartbeat is an alert both sides must hold (Alertmanager
# knows no "ok"; Steward would keep ok heartbeats as device status only).
HEARTBEAT_SEVERITY=${HEARTBEAT_SEVERITY:-warning}
DURATION=${DURATION:-300s}
RUNS=${RUNS:-5}
SIDE=${SIDE:-both}
SETTLE=${SETTLE:-3}        # seconds before reading memory after the load
DRAIN_TIMEOUT=${DRAIN_TIMEOUT:-600} # seconds Steward gets to turn stored events into alerts
AM_BIN=${AM_BIN:-/usr/bin/prometheus-alertmanager}
BIN=${BIN:-/tmp/steward-bench}

case $SIDE in alertmanager | steward | both) ;; *) echo "SIDE must be alertmanager, steward or both" >&2; exit 2 ;; esac
for tool in curl jq; do command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 1; }; done

cd "$(dirname "$0")/.."
OUT=${OUT:-$(mktemp -d /tmp/alertmanager-compare.XXXXXX)}
mkdir -p "$OUT"
work=$(mktemp -d /tmp/alertmanager-compare-data.XXXXXX)
pids=()
stop() { # stop PID: TERM, then KILL after 10 s
	local pid=$1
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
}
cleanup() {
	for p in "${pids[@]}"; do stop "$p"; done
	rm -rf "$work"
}
trap cleanup EXIT

free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 20000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
	done
	echo "no free port found" >&2
	exit 1
}
# status_kb PID FIELD: a /proc/PID/status field in kB.
status_kb() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }
# metric URL NAME [CURL-ARGS...]: the first sample of a metric without labels, or with the given label set.
metric() {
	local url=$1 name=$2
	shift 2
	curl -fsS --max-time 30 "$@" "$url/metrics" | awk -v n="$name" '$1 == n && !done {printf "%.0f\n", $2; done = 1}'
}
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) exit; if (NR % 2) print a[(NR+1)/2]; else printf "%.6f\n", (a[NR/2]+a[NR/2+1])/2}'; }
# timed RUNS URL [CURL-ARGS...]: median seconds of RUNS GETs that must answer 200.
timed() {
	local n=$1 url=$2
	shift 2
	for _ in $(seq "$n"); do
		curl -sS --max-time 120 -o "$work/body" -w '%{http_code} %{time_total}\n' "$@" "$url"
	done | awk '$1 != 200 {bad=1; print "HTTP " $1 > "/dev/stderr"} {print $2} END {exit bad}' | median
}
wait_ready() { # wait_ready URL PID LOG
	for _ in $(seq 150); do
		curl -fs --max-time 2 "$1" >/dev/null 2>&1 && return 0
		kill -0 "$2" 2>/dev/null || { cat "$3" >&2; return 1; }
		sleep 0.2
	done
	echo "$1 did not answer" >&2
	return 1
}
kb2mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k/1024}'; }

if [[ ${BUILD:-1} == 1 ]]; then
	echo "building $BIN"
	go build -o "$BIN" ./cmd/steward
fi
gen=("$BIN" events loadgen --devices "$DEVICES" --events "$ALERTS" --clients "$CLIENTS" --faults "$FAULTS"
	--seed "$SEED" --heartbeat-severity "$HEARTBEAT_SEVERITY" --duration "$DURATION" --json)
echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo); $ALERTS alerts from $DEVICES devices, $CLIENTS clients; results in $OUT"

am_rate=""
if [[ $SIDE != steward ]]; then
	[[ -x $AM_BIN ]] || { echo "no $AM_BIN: apt-get install prometheus-alertmanager" >&2; exit 1; }
	port=$(free_port)
	url="http://127.0.0.1:$port"
	mkdir -p "$work/am/data"
	cat >"$work/am/config.yml" <<-'EOF'
		route:
		  receiver: devnull
		  group_by: [alertname, gateway]
		receivers:
		  - name: devnull
	EOF
	"$AM_BIN" --config.file="$work/am/config.yml" --storage.path="$work/am/data" --web.listen-address="127.0.0.1:$port" \
		--cluster.listen-address= --log.level=warn >"$OUT/alertmanager.log" 2>&1 &
	am=$!
	pids+=("$am")
	wait_ready "$url/-/ready" "$am" "$OUT/alertmanager.log"
	"$AM_BIN" --version 2>&1 | head -1 >"$OUT/alertmanager.version"
	heap0=$(metric "$url" go_memstats_heap_inuse_bytes)
	rss0=$(status_kb "$am" VmRSS)
	"${gen[@]}" --target alertmanager --am-url "$url" --batch "$BATCH" --rss-pid "$am" >"$OUT/alertmanager.json"
	sleep "$SETTLE"
	heap1=$(metric "$url" go_memstats_heap_inuse_bytes)
	# Alerts held, whatever their state: they stay "unprocessed" until
	# their group's first notification (group_wait).
	active=$(curl -fsS --max-time 30 "$url/metrics" | awk '/^alertmanager_alerts\{/ {n += $2} END {printf "%.0f\n", n}')
	rss1=$(status_kb "$am" VmRSS)
	hwm=$(status_kb "$am" VmHWM)
	groups_s=$(timed "$RUNS" "$url/api/v2/alerts/groups")
	ngroups=$(jq length "$work/body")
	ingrouped=$(jq '[.[].alerts | length] | add // 0' "$work/body")
	alerts_s=$(timed 1 "$url/api/v2/alerts?active=true")
	stop "$am"
	am_rate=$(jq -r '.accepted_per_sec' "$OUT/alertmanager.json")
	cat <<-EOF

		== Alertmanager $(cut -d' ' -f3 "$OUT/alertmanager.version")
		ingest          $(jq -r '"\(.accepted) of \(.sent) alerts accepted in \(.elapsed_ms/1000 | . * 100 | round / 100) s: \(.accepted_per_sec | round) alerts/s; refused \(.refused), errors \(.errors); batch p50 \(.batch_latency.p50_ms | . * 10 | round / 10) ms, p99 \(.batch_latency.p99_ms | . * 10 | round / 10) ms"' "$OUT/alertmanager.json")
		active alerts   $active
		memory          VmRSS $(kb2mib "$rss0") -> $(kb2mib "$rss1") MiB, VmHWM $(kb2mib "$hwm") MiB; Go heap in use $((heap0 / 1048576)) -> $((heap1 / 1048576)) MiB
		heap per alert  $(awk -v a="$heap0" -v b="$heap1" -v n="$active" 'BEGIN {if (n > 0) printf "%.0f bytes", (b-a)/n; else print "-"}')
		RSS per alert   $(awk -v a="$rss0" -v b="$rss1" -v n="$active" 'BEGIN {if (n > 0) printf "%.0f bytes", (b-a)*1024/n; else print "-"}')
		list groups     $groups_s s (median of $RUNS; $ngroups groups holding $ingrouped alerts)
		list alerts     $alerts_s s (GET /api/v2/alerts?active=true, once)
	EOF
fi

if [[ $SIDE != alertmanager ]]; then
	port=$(free_port)
	url="http://127.0.0.1:$port"
	data="$work/steward"
	email=loadgen@bench.test
	password=a-long-bench-password
	printf '%s\n' "$password" | "$BIN" user create --data "$data" --email "$email" --name "Load generator" --role admin \
		--password-stdin >/dev/null 2>"$OUT/cli.log" || { cat "$OUT/cli.log" >&2; exit 1; }
	token=$("$BIN" token create --data "$data" --email "$email" --name loadgen 2>"$OUT/cli.log") || { cat "$OUT/cli.log" >&2; exit 1; }
	auth=(-H "Authorization: Bearer $token")
	"$BIN" serve --data "$data" --addr "127.0.0.1:$port" --log-level warn >"$OUT/steward.log" 2>&1 &
	st=$!
	pids+=("$st")
	wait_ready "$url/readyz" "$st" "$OUT/steward.log"
	db="$data/steward.db"
	sql() { sqlite3 -readonly -cmd '.timeout 10000' "$db" "$1"; }
	heap0=$(metric "$url" go_memstats_heap_inuse_bytes "${auth[@]}")
	rss0=$(status_kb "$st" VmRSS)
	t0=$(date +%s.%N)
	if ! "${gen[@]}" --url "$url" --token "$token" --transport http --batch "$STEWARD_BATCH" --rss-pid "$st" >"$OUT/steward.json" 2>"$OUT/loadgen.log"; then
		echo "Steward side failed: $(cat "$OUT/loadgen.log")" >&2
		echo "(the event intake, POST /api/v1/integrations and /api/v1/events, must be in this binary)" >&2
		exit 1
	fi
	# Wait until every stored event has been processed into alerts.
	drained=""
	backlog=""
	for _ in $(seq $((DRAIN_TIMEOUT * 5))); do
		backlog=$(sql "SELECT (SELECT COALESCE(MAX(id), 0) FROM events) - (SELECT last_event_id FROM event_cursor WHERE id = 1)" 2>/dev/null || echo "?")
		if [[ $backlog == 0 ]]; then drained=$(date +%s.%N); break; fi
		sleep 0.2
	done
	sleep "$SETTLE"
	heap1=$(metric "$url" go_memstats_heap_inuse_bytes "${auth[@]}")
	rss1=$(status_kb "$st" VmRSS)
	hwm=$(status_kb "$st" VmHWM)
	active=$(sql "SELECT COUNT(*) FROM alerts WHERE state <> 'resolved'")
	incidents=$(sql "SELECT COUNT(*) FROM incidents WHERE source <> 'desk'" 2>/dev/null || echo "?")
	api_s=$(timed "$RUNS" "$url/api/v1/alerts?state=open&limit=50" "${auth[@]}")
	# The console as a person sees it: sign in, then the open alerts page.
	jar="$work/cookies"
	csrf=$(curl -fsS -c "$jar" -b "$jar" "$url/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)
	curl -fsS -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf_token=$csrf" --data-urlencode "email=$email" \
		--data-urlencode "password=$password" "$url/login"
	page_s=$(timed "$RUNS" "$url/alerts?state=open" -b "$jar" || echo "failed")
	stop "$st"
	st_rate=$(jq -r '.accepted_per_sec' "$OUT/steward.json")
	cat <<-EOF

		== Steward $(git describe --always --dirty 2>/dev/null || echo "")
		ingest          $(jq -r '"\(.accepted) of \(.sent) events accepted (\(.duplicates) duplicates) in \(.elapsed_ms/1000 | . * 100 | round / 100) s: \(.accepted_per_sec | round) events/s; refused \(.refused), errors \(.errors); batch p50 \(.batch_latency.p50_ms | . * 10 | round / 10) ms, p99 \(.batch_latency.p99_ms | . * 10 | round / 10) ms"' "$OUT/steward.json")
		processed       $(if [[ -n $drained ]]; then awk -v a="$t0" -v b="$drained" -v n="$ALERTS" 'BEGIN {printf "all events turned into alerts %.2f s after the first: %.0f events/s end to end", b-a, n/(b-a)}'; else echo "backlog of $backlog events after ${DRAIN_TIMEOUT} s"; fi)
		active alerts   $active ($incidents incidents from events)
		memory          VmRSS $(kb2mib "$rss0") -> $(kb2mib "$rss1") MiB, VmHWM $(kb2mib "$hwm") MiB; Go heap in use $((heap0 / 1048576)) -> $((heap1 / 1048576)) MiB
		heap per alert  $(awk -v a="$heap0" -v b="$heap1" -v n="$active" 'BEGIN {if (n > 0) printf "%.0f bytes", (b-a)/n; else print "-"}')
		RSS per alert   $(awk -v a="$rss0" -v b="$rss1" -v n="$active" 'BEGIN {if (n > 0) printf "%.0f bytes", (b-a)*1024/n; else print "-"}')
		console         GET /alerts?state=open $page_s s; GET /api/v1/alerts?state=open&limit=50 $api_s s (medians of $RUNS)
	EOF
	if [[ -n $am_rate ]]; then
		awk -v s="$st_rate" -v a="$am_rate" 'BEGIN {printf "\nratio           Steward / Alertmanager ingest: %.2f\n", s/a}'
	fi
fi

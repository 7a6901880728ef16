#!/usr/bin/env bash
# A gateway outage in a fleet Steward knows: imports DEVICES sensors behind
# gateways of PER_GATEWAY sensors each into the CMDB (each sensor depends on
# its gateway), starts `steward serve` on a fresh SQLite folder, sends the
# fleet's heartbeats and faults at RATE events/s over TRANSPORT, takes one
# gateway down at OUTAGE_AT seconds, and reports how long after the first
# outage event its incident was listed, and how many incidents the
# outage's alerts ended up in (one is the goal: the sensors' alerts join
# their gateway's incident). It also reports Steward's memory and the alert
# console's latency at the end. Only 127.0.0.1 is contacted; the server is
# stopped by its process id at the end, whatever happens.
#
#   bench/fleet-outage.sh                                  # 100,000 sensors, 5,000 per gateway, HTTP
#   TRANSPORT=mqtt bench/fleet-outage.sh                   # through Mosquitto on 127.0.0.1:1883
#   TRANSPORT=nats bench/fleet-outage.sh                   # through NATS JetStream on 127.0.0.1:4222
#   RATE=0 DURATION=60s bench/fleet-outage.sh              # as fast as possible
set -euo pipefail

DEVICES=${DEVICES:-100000}
PER_GATEWAY=${PER_GATEWAY:-5000}
TRANSPORT=${TRANSPORT:-http}
RATE=${RATE:-20000}
OUTAGE_AT=${OUTAGE_AT:-10}
DURATION=${DURATION:-40s}
WAIT=${WAIT:-30s}
FAULTS=${FAULTS:-0.01}
SEED=${SEED:-1}
CLIENTS=${CLIENTS:-8}
BATCH=${BATCH:-1000}
RUNS=${RUNS:-5}
MQTT_URL=${MQTT_URL:-tcp://127.0.0.1:1883}
NATS_URL=${NATS_URL:-nats://127.0.0.1:4222}
BIN=${BIN:-/tmp/steward-bench}

cd "$(dirname "$0")/.."
OUT=${OUT:-$(mktemp -d /tmp/fleet-outage.XXXXXX)}
mkdir -p "$OUT"
work=$(mktemp -d /tmp/fleet-outage-data.XXXXXX)
pid=""
prefix="fleet$(date +%s)"
cleanup() {
	if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
		wait "$pid" 2>/dev/null || true
	fi
	# Steward created the stream on the shared NATS server: leave nothing.
	if [[ $TRANSPORT == nats ]]; then
		"$BIN" events loadgen --nats-url "$NATS_URL" --stream "FLEETSIM_$prefix" --delete-stream >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) exit; if (NR % 2) print a[(NR+1)/2]; else printf "%.6f\n", (a[NR/2]+a[NR/2+1])/2}'; }
timed() {
	local n=$1 url=$2
	shift 2
	for _ in $(seq "$n"); do
		curl -sS --max-time 120 -o /dev/null -w '%{http_code} %{time_total}\n' "$@" "$url"
	done | awk '$1 != 200 {bad=1; print "HTTP " $1 > "/dev/stderr"} {print $2} END {exit bad}' | median
}

if [[ ${BUILD:-1} == 1 ]]; then
	echo "building $BIN"
	go build -o "$BIN" ./cmd/steward
fi
data="$work/data"
storage=(--data "$data")

# The fleet, named and wired as the load generator's: sensor n (from 0)
# behind gateway n*gateways/devices.
gateways=$(((DEVICES + PER_GATEWAY - 1) / PER_GATEWAY))
awk -v d="$DEVICES" -v g="$gateways" 'BEGIN {
	print "type,name,status,location,code,device_id,site,model"
	for (s = 0; s * 10 < g; s++) printf "Site,Fleet site S-%04d,in_use,Lyon,S-%04d,,,\n", s + 1, s + 1
	for (i = 0; i < g; i++) printf "IoT gateway,gateway GW-%06d,in_use,Lyon,,GW-%06d,code=S-%04d,\n", i + 1, i + 1, int(i / 10) + 1
	for (n = 0; n < d; n++) printf "Sensor,TH-200 SN-%07d,in_use,Lyon,,SN-%07d,,TH-200\n", n + 1, n + 1
}' >"$work/cis.csv"
awk -v d="$DEVICES" -v g="$gateways" 'BEGIN {
	print "source_type,source_key,target_type,target_key,type"
	for (n = 0; n < d; n++) printf "Sensor,device_id=SN-%07d,IoT gateway,device_id=GW-%06d,depends_on\n", n + 1, int(n * g / d) + 1
}' >"$work/rels.csv"
echo "importing $DEVICES sensors behind $gateways gateways"
"$BIN" import cis "$work/cis.csv" --relationships "$work/rels.csv" "${storage[@]}" >"$OUT/import.log" 2>&1 || { cat "$OUT/import.log" >&2; exit 1; }

email=outage@bench.test
password=a-long-bench-password
printf '%s\n' "$password" | "$BIN" user create "${storage[@]}" --email "$email" --name "Outage bench" --role admin \
	--password-stdin >/dev/null 2>"$OUT/cli.log" || { cat "$OUT/cli.log" >&2; exit 1; }
token=$("$BIN" token create "${storage[@]}" --email "$email" --name outage 2>"$OUT/cli.log") || { cat "$OUT/cli.log" >&2; exit 1; }

port=""
for _ in $(seq 50); do
	p=$((20000 + RANDOM % 20000))
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[[ -n $port ]] || { echo "no free port found" >&2; exit 1; }
url="http://127.0.0.1:$port"
"$BIN" serve "${storage[@]}" --addr "127.0.0.1:$port" --log-level warn >"$OUT/steward.log" 2>&1 &
pid=$!
for _ in $(seq 150); do
	curl -fs --max-time 2 "$url/readyz" >/dev/null 2>&1 && break
	kill -0 "$pid" 2>/dev/null || { cat "$OUT/steward.log" >&2; exit 1; }
	sleep 0.2
done

"$BIN" events loadgen --url "$url" --token "$token" --transport "$TRANSPORT" --mqtt-url "$MQTT_URL" --nats-url "$NATS_URL" \
	--prefix "$prefix" --stream "FLEETSIM_$prefix" --devices "$DEVICES" --per-gateway "$PER_GATEWAY" --faults "$FAULTS" \
	--seed "$SEED" --rate "$RATE" --duration "$DURATION" --batch "$BATCH" --clients "$CLIENTS" \
	--gateway-outage "$OUTAGE_AT" --wait-incidents --wait-timeout "$WAIT" --rss-pid "$pid" | tee "$OUT/loadgen.txt"

db="$data/steward.db"
sql() { sqlite3 -readonly -cmd '.timeout 10000' "$db" "$1"; }
# How fast Steward took the events in: stored (the inbox) and processed
# (alerts), from the first event sent.
started=$(date -d "$(sed -n 's/^started *//p' "$OUT/loadgen.txt")" +%s.%N)
accepted=$(sed -n 's/^accepted *\([0-9]*\),.*/\1/p' "$OUT/loadgen.txt")
stored="" processed="" last="" still=0
for _ in $(seq 1500); do # at most 5 minutes, or 15 s without a new event
	counts=$(sql "SELECT (SELECT COUNT(*) FROM events), (SELECT COALESCE(MAX(id), 0) FROM events) - (SELECT last_event_id FROM event_cursor WHERE id = 1)" 2>/dev/null || echo "0|1")
	now=$(date +%s.%N)
	if [[ $counts == "$last" ]]; then still=$((still + 1)); else still=0 last=$counts; fi
	((still < 75)) || break
	[[ -z $stored && ${counts%|*} -ge $accepted ]] && stored=$now
	[[ -n $stored && ${counts#*|} == 0 ]] && { processed=$now; break; }
	sleep 0.2
done
awk -v t0="$started" -v s="$stored" -v p="$processed" -v n="$accepted" -v got="${counts%|*}" 'BEGIN {
	# Over MQTT a broker drops what a slow subscriber cannot take in time
	# (Mosquitto: max_queued_messages, 1000 by default).
	if (s == "") { printf "stored      %d of %d events: no more came\n", got, n; exit }
	printf "stored      %d events %.2f s after the first was sent: %.0f events/s\n", n, s-t0, n/(s-t0)
	if (p != "") printf "processed   %.2f s after the first: %.0f events/s\n", p-t0, n/(p-t0)
}'
gw=$(sed -n 's/^outage *gateway \(GW-[0-9]*\) .*/\1/p' "$OUT/loadgen.txt")
if [[ -n $gw ]]; then
	sql "SELECT COUNT(*), COUNT(DISTINCT incident_id) FROM alerts WHERE state <> 'resolved' AND severity = 'critical'
		 AND (device = '$gw' OR labels LIKE '%\"$gw\"%')" |
		awk -F'|' -v gw="$gw" '{printf "outage      %d open critical alerts of gateway %s in %d incident(s)\n", $1, gw, $2}'
fi
auth=(-H "Authorization: Bearer $token")
jar="$work/cookies"
csrf=$(curl -fsS -c "$jar" -b "$jar" "$url/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)
curl -fsS -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf_token=$csrf" --data-urlencode "email=$email" \
	--data-urlencode "password=$password" "$url/login"
echo "console     GET /alerts?state=open $(timed "$RUNS" "$url/alerts?state=open" -b "$jar" || echo failed) s;" \
	"GET /api/v1/alerts?state=open&limit=50 $(timed "$RUNS" "$url/api/v1/alerts?state=open&limit=50" "${auth[@]}" || echo failed) s (medians of $RUNS)"
awk '/^(VmRSS|VmHWM)/ {printf "%s %.1f MiB  ", $1, $2/1024} END {print ""}' "/proc/$pid/status"

#!/usr/bin/env bash
# Brook vs Apache Kafka on this machine, one system at a time, same workloads, same record
# counts; prints a table of Brook/Kafka ratios. See bench/compare/README.md.
#
#   bench/compare.sh                                   # everything, both systems (roughly 6-12 min)
#   SINGLE_RECORDS=200000 CLUSTER_RECORDS=100000 E2E_RECORDS=300 bench/compare.sh   # smoke test
#   SYSTEMS=kafka RUN_CLUSTER=0 bench/compare.sh
#
# Data lives in a fresh /tmp/brook-compare.XXXXXX, deleted at the end (KEEP_DATA=1 keeps it);
# the table and every tool's raw output go to bench/compare/results/<timestamp>/.
# Only the processes this script starts are stopped, by PID.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CMP="$ROOT/bench/compare"

# ------------------------------------------------------------------ knobs
SYSTEMS="${SYSTEMS:-brook kafka}"
RUN_SINGLE="${RUN_SINGLE:-1}"
RUN_CLUSTER="${RUN_CLUSTER:-1}"
SINGLE_RECORDS="${SINGLE_RECORDS:-10000000}"   # RF=1 produce runs, and the RF=1 consume
CLUSTER_RECORDS="${CLUSTER_RECORDS:-3000000}"  # each RF=3 produce run, and the RF=3 consume
E2E_RECORDS="${E2E_RECORDS:-5000}"             # sequential acks=all round trips
RECORD_SIZE="${RECORD_SIZE:-100}"
PARTITIONS="${PARTITIONS:-6}"
BASE_PORT="${BASE_PORT:-21000}"                 # node i uses BASE_PORT+10*i .. +6
PROPS_2014="batch.size=8196 linger.ms=0 buffer.memory=67108864"
NODE_HEAP="${NODE_HEAP:--Xms1g -Xmx1g}"
CLIENT_HEAP="${CLIENT_HEAP:--Xmx512m}"
# Kafka JVMs get the flags of Kafka's bin/kafka-run-class.sh; Brook JVMs those of bin/brook
KAFKA_JVM_OPTS="${KAFKA_JVM_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true}"
JAVA="${JAVA:-java}"
QUIET_MAX_PCT="${QUIET_MAX_PCT:-15}"            # a phase starts once host CPU busy over 1 s < this ...
QUIET_WAIT_S="${QUIET_WAIT_S:-30}"              # ... or after this many seconds (then flagged)
READY_TIMEOUT_S="${READY_TIMEOUT_S:-120}"
KEEP_DATA="${KEEP_DATA:-0}"
export JAVA

for s in $SYSTEMS; do
  case "$s" in brook|kafka) ;; *) echo "SYSTEMS: unknown system '$s' (brook, kafka)" >&2; exit 2 ;; esac
done
for v in SINGLE_RECORDS CLUSTER_RECORDS E2E_RECORDS RECORD_SIZE PARTITIONS BASE_PORT QUIET_MAX_PCT QUIET_WAIT_S; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || { echo "$v must be a number, got '${!v}'" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
command -v curl >/dev/null || { echo "needs curl" >&2; exit 2; }
command -v python3 >/dev/null || { echo "needs python3" >&2; exit 2; }

TS="$(date +%Y%m%d-%H%M%S)"
RES="$CMP/results/$TS"
mkdir -p "$RES"
METRICS="$RES/metrics.tsv"
: > "$METRICS"
DATA="$(mktemp -d /tmp/brook-compare.XXXXXX)"
HZ="$(getconf CLK_TCK)"
KAFKA_CP="$CMP/lib/*"

NODE_PIDS=()
CLIENT_PID=""
SYS=""        # system being measured
BOOT=""       # bootstrap servers of the running nodes

log() { echo "[$(date +%H:%M:%S)] $*" | tee -a "$RES/run.log" >&2; }
metric() { printf '%s\t%s\t%s\n' "$SYS" "$1" "$2" >> "$METRICS"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# ------------------------------------------------------------------ process lifecycle
stop_nodes() {
  [ "${#NODE_PIDS[@]}" -eq 0 ] && return 0
  local pid deadline
  log "stopping $SYS nodes (SIGTERM): ${NODE_PIDS[*]}"
  for pid in "${NODE_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  deadline=$(( $(date +%s) + 60 ))
  for pid in "${NODE_PIDS[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      log "pid $pid still running after 60 s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  NODE_PIDS=()
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [ -n "$CLIENT_PID" ]; then  # the client under /usr/bin/time: its children, then time itself
    for p in $(cat "/proc/$CLIENT_PID/task/$CLIENT_PID/children" 2>/dev/null); do kill -TERM "$p" 2>/dev/null; done
    kill -TERM "$CLIENT_PID" 2>/dev/null; wait "$CLIENT_PID" 2>/dev/null
  fi
  stop_nodes
  if [ "$KEEP_DATA" = 1 ]; then
    log "KEEP_DATA=1: data kept in $DATA"
  else
    if [ "$rc" -ne 0 ]; then   # keep node logs of a failed run
      find "$DATA" -maxdepth 3 \( -name server.log -o -name node.out \) -print0 2>/dev/null |
        while IFS= read -r -d '' f; do cp "$f" "$RES/$(echo "${f#"$DATA"/}" | tr / _)"; done
    fi
    rm -rf "$DATA"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ------------------------------------------------------------------ CPU accounting
host_ticks() { awk '/^cpu /{busy=$2+$3+$4+$7+$8+$9; print busy, busy+$5+$6}' /proc/stat; }
node_ticks() {  # utime+stime of the node JVMs (fields after the "(comm)" field)
  local t=0 pid v
  for pid in "${NODE_PIDS[@]}"; do
    v=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12+$13}') || v=0
    t=$(( t + ${v:-0} ))
  done
  echo "$t"
}
node_hwm_kb() {  # max VmHWM over the node JVMs
  local max=0 pid v
  for pid in "${NODE_PIDS[@]}"; do
    v=$(awk '/^VmHWM:/{print $2}' "/proc/$pid/status" 2>/dev/null) || v=0
    [ "${v:-0}" -gt "$max" ] && max=$v
  done
  echo "$max"
}

busiest() {  # the 3 busiest processes over 0.5 s: "pid cpu% command; ..."
  top -b -n 2 -d 0.5 -o %CPU -w 200 2>/dev/null |
    awk '/^top -/{n++} n==2 && $1 ~ /^[0-9]+$/ {printf "%s %s%% %s; ", $1, $9, $12; if (++k==3) exit}' || true
}

# wait_quiet PHASE: wait until host CPU busy over 1 s < QUIET_MAX_PCT (max QUIET_WAIT_S),
# record PHASE.busy (last sample) and PHASE.quiet (1/0)
wait_quiet() {
  local phase="$1" deadline a b c d busy
  deadline=$(( $(date +%s) + QUIET_WAIT_S ))
  while :; do
    read -r a b < <(host_ticks); sleep 1; read -r c d < <(host_ticks)
    busy=$(( d > b ? 100 * (c - a) / (d - b) : 0 ))
    if [ "$busy" -lt "$QUIET_MAX_PCT" ]; then metric "$phase.quiet" 1; break; fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "NOT QUIET before $SYS $phase: host ${busy}% busy after ${QUIET_WAIT_S} s; busiest now: $(busiest)"
      metric "$phase.quiet" 0; break
    fi
  done
  metric "$phase.busy" "$busy"
}

# measure PHASE KIND(produce|consume|e2e) RECORDS cmd... : quiet check, run the client under
# /usr/bin/time, record node/client/other CPU and the tool's figures. Never fails the script.
measure() {
  local phase="$1" kind="$2" want="$3"; shift 3
  local out="$RES/$SYS-$phase" rc=0 n0 n1 h0 h1 t0 t1 x
  wait_quiet "$phase"
  echo "$*" > "$out.cmd"
  log "$SYS $phase: ${*: -12}"
  n0=$(node_ticks); read -r h0 x < <(host_ticks)
  # in the background so that a signal to this script is handled at once (cleanup stops it)
  /usr/bin/time -f '%e %U %S %M' -o "$out.time" "$@" > "$out.out" 2> "$out.err" &
  CLIENT_PID=$!
  wait "$CLIENT_PID" || rc=$?
  CLIENT_PID=""
  n1=$(node_ticks); read -r h1 x < <(host_ticks)
  local wall ucpu
  # last line: a failed command gets a "Command exited with non-zero status" line first
  read -r wall t0 t1 x < <(tail -1 "$out.time") || true
  ucpu=$(awk -v u="$t0" -v s="$t1" 'BEGIN{printf "%.2f", u+s}')
  local ncpu hcpu
  ncpu=$(awk -v a="$n0" -v b="$n1" -v hz="$HZ" 'BEGIN{printf "%.2f", (b-a)/hz}')
  hcpu=$(awk -v a="$h0" -v b="$h1" -v hz="$HZ" 'BEGIN{printf "%.2f", (b-a)/hz}')
  metric "$phase.wall_s" "$wall"
  metric "$phase.client_cpu_s" "$ucpu"
  metric "$phase.node_cpu_s" "$ncpu"
  metric "$phase.other_cpu_s" "$(awk -v h="$hcpu" -v c="$ucpu" -v n="$ncpu" 'BEGIN{o=h-c-n; printf "%.2f", o<0?0:o}')"
  local parsed=""
  parsed=$(python3 "$CMP/report.py" parse "$SYS" "$kind" "$out.out") || true
  if [ "$rc" -ne 0 ] || [ -z "$parsed" ]; then
    log "$SYS $phase FAILED (exit $rc); last lines of $out.err:"; tail -5 "$out.err" >&2 || true
    metric "$phase.ok" 0
    return 0
  fi
  local got
  got=$(awk -F'\t' '$1=="records"{printf "%d", $2}' <<< "$parsed")
  if [ -n "$got" ] && [ "$got" -ne "$want" ]; then   # Kafka's EndToEndLatency prints no count
    log "$SYS $phase FAILED: the tool reports $got of $want records"
    metric "$phase.ok" 0
  else
    metric "$phase.ok" 1
  fi
  while IFS=$'\t' read -r k v; do metric "$phase.$k" "$v"; done <<< "$parsed"
  log "  $(tr '\n' ' ' <<< "$parsed")| client ${ucpu} cpu-s, node(s) ${ncpu} cpu-s, wall ${wall} s"
}

# ------------------------------------------------------------------ Brook
# client commands as arrays, so /usr/bin/time can run them (it cannot run shell functions)
BROOK_CLI=(env "BROOK_HEAP_OPTS=$CLIENT_HEAP" BROOK_NO_BUILD=1 "$ROOT/bin/brook")
read -ra _client_heap <<< "$CLIENT_HEAP"
read -ra _kafka_opts <<< "$KAFKA_JVM_OPTS"
KAFKA_CLI=("$JAVA" "${_client_heap[@]}" "${_kafka_opts[@]}"
  -Dlog4j2.configurationFile="$CMP/log4j2-kafka-tools.properties" -cp "$KAFKA_CP")
brook_tool() { "${BROOK_CLI[@]}" "$@"; }
b_grpc() { echo $(( BASE_PORT + 10 * $1 )); }
b_quorum() { echo $(( BASE_PORT + 10 * $1 + 1 )); }
b_http() { echo $(( BASE_PORT + 10 * $1 + 2 )); }

wait_nodes() {  # SYS IDS T0_MS: polls SYS_ready ID until every node answers -> STARTUP_MS (from T0)
  local sys="$1" pending="$2" t0="$3" id p still deadline
  deadline=$(( $(date +%s) + READY_TIMEOUT_S ))
  while [ -n "$pending" ]; do
    still=""
    for id in $pending; do
      if "${sys}_ready" "$id"; then
        log "$sys node $id ready after $(( $(now_ms) - t0 )) ms"
      else still="$still $id"; fi
    done
    pending="${still# }"
    [ -z "$pending" ] && break
    for p in "${NODE_PIDS[@]}"; do
      kill -0 "$p" 2>/dev/null || { log "$sys node pid $p exited"; tail -20 "$DATA/$sys"/node*/node.out >&2; return 1; }
    done
    [ "$(date +%s)" -ge "$deadline" ] && { log "$sys nodes not ready after ${READY_TIMEOUT_S} s"; return 1; }
    sleep 0.05
  done
  STARTUP_MS=$(( $(now_ms) - t0 ))
}
brook_ready() { curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$(b_http "$1")/ready"; }
kafka_ready() { grep -q "Kafka Server started" "$DATA/kafka/node$1/server.log" 2>/dev/null; }

brook_start() {  # brook_start "1 2 3" -> NODE_PIDS, BOOT, startup_ms of the slowest node
  local ids="$1" id voters="" ctrl="" nd p t0
  for id in $ids; do
    voters="${voters:+$voters,}$id@127.0.0.1:$(b_quorum "$id")"
    ctrl="${ctrl:+$ctrl,}127.0.0.1:$(b_grpc "$id")"
    for p in "$(b_grpc "$id")" "$(b_quorum "$id")" "$(b_http "$id")"; do
      port_free "$p" || { log "port $p is in use: set BASE_PORT"; return 1; }
    done
  done
  BOOT="$ctrl"
  rm -rf "$DATA/brook"   # every start begins with empty nodes
  for id in $ids; do
    nd="$DATA/brook/node$id"; mkdir -p "$nd"
    cat > "$nd/node.properties" <<EOF
node.id=$id
process.roles=broker,controller
listen.host=127.0.0.1
advertised.host=127.0.0.1
grpc.port=$(b_grpc "$id")
quorum.port=$(b_quorum "$id")
http.port=$(b_http "$id")
controller.quorum.voters=$voters
controller.endpoints=$ctrl
data.dir=$nd/data
num.partitions=$PARTITIONS
EOF
  done
  t0=$(now_ms)
  for id in $ids; do
    nd="$DATA/brook/node$id"
    # bin/brook execs the JVM, so $! is the node's JVM
    BROOK_HEAP_OPTS="$NODE_HEAP" BROOK_NO_BUILD=1 "$ROOT/bin/brook" server -c "$nd/node.properties" > "$nd/node.out" 2>&1 &
    NODE_PIDS+=("$!")
  done
  wait_nodes brook "$ids" "$t0" || return 1
}

brook_topic() {  # NAME PARTITIONS RF
  local i extra=()
  [ "$3" -ge 3 ] && extra=(--config min.insync.replicas=2)
  for i in $(seq 1 30); do
    if brook_tool topics create "$1" --partitions "$2" --replication-factor "$3" "${extra[@]}" \
         --bootstrap-server "$BOOT" >> "$RES/brook-topics.out" 2>&1; then return 0; fi
    sleep 1
  done
  log "brook: could not create topic $1"; tail -5 "$RES/brook-topics.out" >&2; return 1
}

brook_produce() {  # PHASE TOPIC N ACKS [PROPS...]
  local phase="$1" topic="$2" n="$3" acks="$4"; shift 4
  measure "$phase" produce "$n" "${BROOK_CLI[@]}" perf produce --topic "$topic" --num-records "$n" \
    --record-size "$RECORD_SIZE" --throughput -1 --producer-props "acks=$acks" "$@" \
    --bootstrap-server "$BOOT" --json
}
brook_consume() {  # PHASE TOPIC N
  measure "$1" consume "$3" "${BROOK_CLI[@]}" perf consume --topic "$2" --num-records "$3" --timeout 60000 \
    --group "compare-$1-$TS" --bootstrap-server "$BOOT" --json
}
brook_e2e() {  # PHASE TOPIC
  measure "$1" e2e "$E2E_RECORDS" "${BROOK_CLI[@]}" perf e2e --topic "$2" --num-records "$E2E_RECORDS" --producer-acks all \
    --record-size "$RECORD_SIZE" --bootstrap-server "$BOOT" --json
}

# ------------------------------------------------------------------ Kafka
kafka_java() { "${KAFKA_CLI[@]}" "$@"; }
k_port() { echo $(( BASE_PORT + 10 * $1 + 5 )); }
k_cport() { echo $(( BASE_PORT + 10 * $1 + 6 )); }

kafka_start() {  # kafka_start "1 2 3" RF MIN_ISR
  local ids="$1" rf="$2" minisr="$3" id voters="" nd p cid t0 f0
  BOOT=""
  for id in $ids; do
    voters="${voters:+$voters,}$id@127.0.0.1:$(k_cport "$id")"
    BOOT="${BOOT:+$BOOT,}127.0.0.1:$(k_port "$id")"
    for p in "$(k_port "$id")" "$(k_cport "$id")"; do
      port_free "$p" || { log "port $p is in use: set BASE_PORT"; return 1; }
    done
  done
  rm -rf "$DATA/kafka"   # every start begins with empty nodes
  cid=$(kafka_java kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)
  [ -n "$cid" ] || { log "kafka StorageTool random-uuid failed"; return 1; }
  for id in $ids; do
    nd="$DATA/kafka/node$id"; mkdir -p "$nd"
    sed -e "s|@NODE_ID@|$id|" -e "s|@VOTERS@|$voters|" -e "s|@PORT@|$(k_port "$id")|" \
        -e "s|@CONTROLLER_PORT@|$(k_cport "$id")|" -e "s|@DATA_DIR@|$nd/data|" \
        -e "s|@PARTITIONS@|$PARTITIONS|" -e "s|@RF@|$rf|g" -e "s|@MIN_ISR@|$minisr|g" \
        "$CMP/kafka-server.properties.in" > "$nd/server.properties"
    f0=$(now_ms)
    kafka_java kafka.tools.StorageTool format -t "$cid" -c "$nd/server.properties" > "$nd/format.out" 2>&1 \
      || { log "kafka storage format failed"; cat "$nd/format.out" >&2; return 1; }
    FORMAT_MS=$(( $(now_ms) - f0 ))
  done
  t0=$(now_ms)
  for id in $ids; do
    nd="$DATA/kafka/node$id"
    # shellcheck disable=SC2086
    "$JAVA" $NODE_HEAP $KAFKA_JVM_OPTS -Dcompare.node.dir="$nd" \
      -Dlog4j2.configurationFile="$CMP/log4j2-kafka-node.properties" \
      -cp "$KAFKA_CP" kafka.Kafka "$nd/server.properties" > "$nd/node.out" 2>&1 &
    NODE_PIDS+=("$!")
  done
  wait_nodes kafka "$ids" "$t0" || return 1
}

kafka_topic() {  # NAME PARTITIONS RF
  local i extra=()
  [ "$3" -ge 3 ] && extra=(--config min.insync.replicas=2)
  for i in $(seq 1 30); do
    if kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOT" --create --topic "$1" \
         --partitions "$2" --replication-factor "$3" "${extra[@]}" >> "$RES/kafka-topics.out" 2>&1; then return 0; fi
    sleep 1
  done
  log "kafka: could not create topic $1"; tail -5 "$RES/kafka-topics.out" >&2; return 1
}

kafka_produce() {  # PHASE TOPIC N ACKS [PROPS...]
  local phase="$1" topic="$2" n="$3" acks="$4"; shift 4
  measure "$phase" produce "$n" "${KAFKA_CLI[@]}" org.apache.kafka.tools.ProducerPerformance --bootstrap-server "$BOOT" \
    --topic "$topic" --num-records "$n" --record-size "$RECORD_SIZE" --throughput -1 \
    --command-property "acks=$acks" "$@"
}
kafka_consume() {  # PHASE TOPIC N
  measure "$1" consume "$3" "${KAFKA_CLI[@]}" org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$BOOT" \
    --topic "$2" --num-records "$3" --timeout 60000 --group "compare-$1-$TS" \
    --command-property auto.offset.reset=earliest
}
kafka_e2e() {  # PHASE TOPIC
  measure "$1" e2e "$E2E_RECORDS" "${KAFKA_CLI[@]}" org.apache.kafka.tools.EndToEndLatency --bootstrap-server "$BOOT" \
    --topic "$2" --num-records "$E2E_RECORDS" --producer-acks all --record-size "$RECORD_SIZE"
}

# ------------------------------------------------------------------ the workloads
disk_per_record() {  # TOPIC RECORDS: sum of the topic's segment .log bytes on all nodes
  local bytes alloc
  bytes=$(find "$DATA/$SYS" -path "*/$1-[0-9]*/*.log" -type f -printf '%s\n' | awk '{s+=$1} END{print s+0}')
  alloc=$(find "$DATA/$SYS" -path "*/$1-[0-9]*/*" -type f -printf '%b\n' | awk '{s+=$1*512} END{print s+0}')
  metric disk.log_bytes "$bytes"
  metric disk.alloc_bytes "$alloc"
  metric disk.bytes_per_record "$(awk -v b="$bytes" -v n="$2" 'BEGIN{printf "%.2f", n ? b/n : 0}')"
  log "$SYS disk: topic $1: $bytes B in .log files ($(awk -v b="$bytes" -v n="$2" 'BEGIN{printf "%.1f", n ? b/n : 0}') B/record), all files ${alloc} B allocated"
}

run_single() {
  log "=== $SYS: single node, RF=1 ==="
  wait_quiet startup
  if [ "$SYS" = brook ]; then brook_start "1" || return 1
  else kafka_start "1" 1 1 || return 1; metric kafka_format_ms "$FORMAT_MS"; fi
  metric startup_ms "$STARTUP_MS"
  "${SYS}_topic" p2014 "$PARTITIONS" 1 || return 1
  "${SYS}_topic" pdefault "$PARTITIONS" 1 || return 1
  "${SYS}_topic" e2e1 1 1 || return 1
  # shellcheck disable=SC2086
  "${SYS}_produce" p1_2014 p2014 "$SINGLE_RECORDS" 1 $PROPS_2014
  disk_per_record p2014 "$SINGLE_RECORDS"
  "${SYS}_consume" c1 p2014 "$SINGLE_RECORDS"
  "${SYS}_produce" p1_def pdefault "$SINGLE_RECORDS" 1
  "${SYS}_e2e" e1 e2e1
  metric rss1_kb "$(node_hwm_kb)"
  stop_nodes
}

run_cluster() {
  log "=== $SYS: three nodes, RF=3, min.insync.replicas=2 ==="
  wait_quiet startup3
  if [ "$SYS" = brook ]; then brook_start "1 2 3" || return 1
  else kafka_start "1 2 3" 3 2 || return 1; fi
  metric startup3_ms "$STARTUP_MS"
  "${SYS}_topic" acks1 "$PARTITIONS" 3 || return 1
  "${SYS}_topic" acksall "$PARTITIONS" 3 || return 1
  "${SYS}_topic" e2e3 1 3 || return 1
  # shellcheck disable=SC2086
  "${SYS}_produce" p3_acks1 acks1 "$CLUSTER_RECORDS" 1 $PROPS_2014
  # shellcheck disable=SC2086
  "${SYS}_produce" p3_all acksall "$CLUSTER_RECORDS" all $PROPS_2014
  "${SYS}_consume" c3 acksall "$CLUSTER_RECORDS"
  "${SYS}_e2e" e3 e2e3
  metric rss3_kb "$(node_hwm_kb)"
  stop_nodes
}

# ------------------------------------------------------------------ prepare
case " $SYSTEMS " in *" brook "*)
  if [ "${BROOK_NO_BUILD:-0}" != 1 ]; then
    log "building Brook if its sources changed (bin/brook; set BROOK_NO_BUILD=1 to skip)"
    BROOK_HEAP_OPTS="$CLIENT_HEAP" "$ROOT/bin/brook" --version >/dev/null
  fi
  [ -f "$ROOT/deploy/target/lib/brook-deploy.jar" ] || { echo "no Brook distribution: mvn -B -q -DskipTests package" >&2; exit 1; }
  brook_tool perf e2e --help >/dev/null 2>&1 || { echo "this Brook has no 'perf e2e': rebuild" >&2; exit 1; } ;;
esac
case " $SYSTEMS " in *" kafka "*)
  if ! ls "$CMP"/lib/kafka-tools-*.jar >/dev/null 2>&1; then
    log "fetching Kafka jars into bench/compare/lib (mvn dependency:copy-dependencies)"
    (cd "$CMP" && mvn -B -q dependency:copy-dependencies)
  fi ;;
esac

KAFKA_VERSION="$( (ls "$CMP"/lib/kafka_2.13-*.jar 2>/dev/null || true) | sed -n 's/.*kafka_2.13-\(.*\)\.jar$/\1/p' | head -1)"
{
  echo "bench/compare.sh $TS"
  echo "brook: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' + uncommitted changes')"
  echo "kafka: ${KAFKA_VERSION:-?} (Maven Central jars, KRaft combined nodes)"
  echo "java: $("$JAVA" -version 2>&1 | head -1)"
  echo "host: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); clients on the same cores"
  echo "records: RF=1 $SINGLE_RECORDS, RF=3 $CLUSTER_RECORDS per run, e2e $E2E_RECORDS; ${RECORD_SIZE} B values, $PARTITIONS partitions"
  echo "2014 settings: $PROPS_2014; node heap $NODE_HEAP, client heap $CLIENT_HEAP"
} > "$RES/header.txt"
cat "$RES/header.txt" >&2

# ------------------------------------------------------------------ run, one system at a time
for SYS in $SYSTEMS; do
  if [ "$RUN_SINGLE" = 1 ]; then
    run_single || { log "$SYS single-node part aborted"; metric single.ok 0; stop_nodes; }
  fi
  if [ "$RUN_CLUSTER" = 1 ]; then
    run_cluster || { log "$SYS cluster part aborted"; metric cluster.ok 0; stop_nodes; }
  fi
done
SYS=""

{
  cat "$RES/header.txt"
  echo
  python3 "$CMP/report.py" table "$RES"
  awk -F'\t' '$2=="kafka_format_ms"{print "Kafka also formats its storage before the first start (StorageTool, own JVM): " $3 " ms, not in startup."}' "$METRICS"
  awk -F'\t' '$2=="startup3_ms"{printf "3-node start, exec -> all ready: %s %s ms\n", $1, $3}' "$METRICS"
  echo "raw tool output, /usr/bin/time, metrics.tsv: $RES"
} > "$RES/summary.txt"
echo
cat "$RES/summary.txt"

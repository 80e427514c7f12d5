#!/usr/bin/env bash
# The cost of TLS, Brook against Apache Kafka, measured in one run on this machine.
#
# Four kinds of run, each on a fresh single node (RF=1, empty data): brook-plain, brook-tls,
# kafka-plain, kafka-ssl. Each run creates a topic of PARTITIONS partitions, produces RECORDS
# records of RECORD_SIZE bytes (acks=1, one producer thread, PRODUCER_PROPS: by default the
# 2014 settings bench/compare.sh uses for both systems), then consumes them (one consumer
# thread, a fresh group), then stops the node. Brook runs with `bin/brook perf produce|consume`,
# Kafka 4.3.1 (KRaft, jars in bench/compare/lib) with its own ProducerPerformance and
# ConsumerPerformance (what kafka-producer-perf-test / kafka-consumer-perf-test run), with
# bench/compare.sh's JVM flags and heaps.
#
# TLS: one development CA and node certificate from `brook certs create` (EC P-256, PEM) serve
# both systems. Brook: security.protocol=SSL on the node (TLS on its gRPC port; node-to-node and
# quorum connections mutual TLS). Kafka: the client listener and the controller listener SSL,
# ssl.keystore.type=PEM / ssl.truststore.type=PEM (bench/tls/kafka-*.properties.in); the node's
# own controller connections mutual TLS. Clients of both: server-side TLS only (the node asks for
# a client certificate, ssl.client.auth=requested, the perf tools present none; they check the
# node's certificate and that it names 127.0.0.1).
#
# The runs alternate so that host noise hits all four alike: rounds 1, 3, ... run brook-plain,
# brook-tls, kafka-plain, kafka-ssl; rounds 2, 4, ... the reverse order (ABBA, which also cancels
# a steady drift). Printed: a table of records/s and MB/s per run, with the consume rate also
# without the group join ("fetch only", as the tools print it), CPU seconds of node + tool per
# million records, the 1-minute load average as the produce phase starts and the CPU other
# processes used during each phase; then per system the TLS/plaintext ratio of the means for produce and
# consume throughput and CPU per record (and the per-round ratios), and Brook's TLS cost against
# Kafka's. A warning names the phases during which other processes used 25% of a core or more:
# on a shared host the throughput ratios swing; CPU per record moves much less.
#
#   bench/tls.sh                                   # RECORDS=2000000, ROUNDS=2 (10-12 min on 2 busy cores)
#   RECORDS=1000000 ROUNDS=1 bench/tls.sh          # quick
#   SYSTEMS=brook bench/tls.sh                     # one system only
#   PRODUCER_PROPS="" bench/tls.sh                 # each producer's own defaults
#
# Output: the table on stdout, and bench/tls/results/<timestamp>/ (summary.txt, runs.tsv, every
# tool's raw output). Data lives in a fresh /tmp/brook-tls-bench.XXXXXX, deleted at the end.
# Needs the Brook distribution even for SYSTEMS=kafka (`brook certs create` makes the certificates).
# Only the processes this script starts are stopped, by PID.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CMP="$ROOT/bench/compare"   # Kafka jars (lib/), log4j2 configs, report.py (tool output parser)
HERE="$ROOT/bench/tls"

# ------------------------------------------------------------------ knobs
SYSTEMS="${SYSTEMS:-brook kafka}"
RECORDS="${RECORDS:-2000000}"
ROUNDS="${ROUNDS:-2}"
RECORD_SIZE="${RECORD_SIZE:-100}"
PARTITIONS="${PARTITIONS:-6}"
PRODUCER_PROPS="${PRODUCER_PROPS-batch.size=8196 linger.ms=0 buffer.memory=67108864}"
BASE_PORT="${BASE_PORT:-19700}"                 # run i uses BASE_PORT+10*i .. +6
NODE_HEAP="${NODE_HEAP:--Xms1g -Xmx1g}"
CLIENT_HEAP="${CLIENT_HEAP:--Xmx512m}"
KAFKA_JVM_OPTS="${KAFKA_JVM_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true}"
JAVA="${JAVA:-java}"
READY_TIMEOUT_S="${READY_TIMEOUT_S:-120}"
KEEP_DATA="${KEEP_DATA:-0}"
export JAVA

for s in $SYSTEMS; do
  case "$s" in brook|kafka) ;; *) echo "SYSTEMS: unknown system '$s' (brook, kafka)" >&2; exit 2 ;; esac
done
for v in RECORDS ROUNDS RECORD_SIZE PARTITIONS BASE_PORT READY_TIMEOUT_S; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || { echo "$v must be a number, got '${!v}'" >&2; exit 2; }
done
[ "$ROUNDS" -ge 1 ] || { echo "ROUNDS must be at least 1" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
for c in curl python3; do command -v "$c" > /dev/null || { echo "needs $c" >&2; exit 2; }; done

TS="$(date +%Y%m%d-%H%M%S)"
RES="$HERE/results/$TS"
mkdir -p "$RES"
RUNS="$RES/runs.tsv"
: > "$RUNS"
WORK="$(mktemp -d /tmp/brook-tls-bench.XXXXXX)"
HZ="$(getconf CLK_TCK)"
KAFKA_CP="$CMP/lib/*"
NODE_PID=""
CLIENT_PID=""

log() { echo "[$(date +%H:%M:%S)] $*" | tee -a "$RES/run.log" >&2; }

stop_node() {
  [ -n "$NODE_PID" ] || return 0
  local deadline=$(( $(date +%s) + 60 ))
  kill -TERM "$NODE_PID" 2>/dev/null || true
  while kill -0 "$NODE_PID" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.2; done
  if kill -0 "$NODE_PID" 2>/dev/null; then
    log "node pid $NODE_PID still running after 60 s: SIGKILL"; kill -KILL "$NODE_PID" 2>/dev/null || true
  fi
  wait "$NODE_PID" 2>/dev/null || true
  NODE_PID=""
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [ -n "$CLIENT_PID" ]; then  # the client under /usr/bin/time: its children, then time itself
    for p in $(cat "/proc/$CLIENT_PID/task/$CLIENT_PID/children" 2>/dev/null); do kill -TERM "$p" 2>/dev/null; done
    kill -TERM "$CLIENT_PID" 2>/dev/null; wait "$CLIENT_PID" 2>/dev/null
  fi
  stop_node
  if [ "$KEEP_DATA" = 1 ]; then
    log "KEEP_DATA=1: data kept in $WORK"
  else
    if [ "$rc" -ne 0 ]; then   # keep the node logs of a failed run
      find "$WORK" -maxdepth 3 \( -name server.log -o -name node.out \) -print0 2>/dev/null |
        while IFS= read -r -d '' f; do cp "$f" "$RES/$(echo "${f#"$WORK"/}" | tr / _)"; done
    fi
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# await_ready SYSTEM LOGS CHECK...: until CHECK succeeds; fails when NODE_PID exits (showing the
# space-separated LOGS) or after READY_TIMEOUT_S.
await_ready() {
  local system="$1" logs="$2" deadline=$(( $(date +%s) + READY_TIMEOUT_S ))
  shift 2
  until "$@"; do
    # shellcheck disable=SC2086
    kill -0 "$NODE_PID" 2>/dev/null || { log "$system node exited"; tail -20 $logs >&2; return 1; }
    [ "$(date +%s)" -ge "$deadline" ] && { log "$system node not ready after ${READY_TIMEOUT_S} s"; return 1; }
    sleep 0.1
  done
}
# create_topic SYSTEM CMD...: runs CMD (the system's topic-create command) until it succeeds, 30 tries.
create_topic() {
  local system="$1" i
  shift
  for i in $(seq 1 30); do
    "$@" >> "$RUN_DIR/topics.out" 2>&1 && return 0
    sleep 1
  done
  log "$system: could not create topic"; tail -5 "$RUN_DIR/topics.out" >&2; return 1
}
host_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
node_ticks() { sed 's/.*) //' "/proc/$NODE_PID/stat" 2>/dev/null | awk '{print $12+$13}' || echo 0; }
load1() { cut -d' ' -f1 /proc/loadavg; }

# ------------------------------------------------------------------ clients
BROOK_CLI=(env "BROOK_HEAP_OPTS=$CLIENT_HEAP" BROOK_NO_BUILD=1 "$ROOT/bin/brook")
read -ra _client_heap <<< "$CLIENT_HEAP"
read -ra _kafka_opts <<< "$KAFKA_JVM_OPTS"
read -ra _props <<< "$PRODUCER_PROPS"
KAFKA_CLI=("$JAVA" "${_client_heap[@]}" "${_kafka_opts[@]}"
  -Dlog4j2.configurationFile="$CMP/log4j2-kafka-tools.properties" -cp "$KAFKA_CP")

# measure NAME SYSTEM KIND cmd... : runs the client under /usr/bin/time; sets MEASURED to
# "rps mbps fetch_rps other_pct node_cpu_s client_cpu_s" (fetch_rps: consume without the group
# join, 0 for produce; other_pct: CPU of everything but the node and the client over the phase,
# % of one core; node_cpu_s: utime+stime of the node JVM over the phase, client_cpu_s: user+sys
# of the tool), or returns 1 when the tool failed or reported another record count
measure() {
  local name="$1" sys="$2" kind="$3"; shift 3
  local out="$RUN_DIR/$name" rc=0 h0 h1 n0 n1 wall u s x
  echo "$*" > "$out.cmd"
  h0=$(host_ticks); n0=$(node_ticks)
  /usr/bin/time -f '%e %U %S' -o "$out.time" "$@" > "$out.out" 2> "$out.err" &
  CLIENT_PID=$!
  wait "$CLIENT_PID" || rc=$?
  CLIENT_PID=""
  h1=$(host_ticks); n1=$(node_ticks)
  read -r wall u s x < <(tail -1 "$out.time") || true
  local parsed
  parsed=$(python3 "$CMP/report.py" parse "$sys" "$kind" "$out.out") || parsed=""
  if [ "$rc" -ne 0 ] || [ -z "$parsed" ]; then
    log "$name FAILED (exit $rc); last lines of $out.err:"; tail -5 "$out.err" >&2 || true
    return 1
  fi
  local got rps mbps fetch
  got=$(awk -F'\t' '$1=="records"{printf "%d", $2}' <<< "$parsed")
  rps=$(awk -F'\t' '$1=="rps"{print $2}' <<< "$parsed")
  mbps=$(awk -F'\t' '$1=="mbps"{print $2}' <<< "$parsed")
  fetch=$(awk -F'\t' '$1=="fetch_rps"{print $2}' <<< "$parsed")
  if [ "$got" != "$RECORDS" ]; then log "$name FAILED: the tool reports $got of $RECORDS records"; return 1; fi
  MEASURED=$(awk -v r="$rps" -v m="$mbps" -v f="${fetch:-0}" -v h="$((h1 - h0))" -v n="$((n1 - n0))" -v u="$u" -v s="$s" -v w="$wall" -v hz="$HZ" \
    'BEGIN{o=(h-n)/hz-u-s; if (o<0) o=0; printf "%.0f %.2f %.0f %.0f %.2f %.2f\n", r, m, f, (w > 0 ? 100 * o / w : 0), n / hz, u + s}')
}

# ------------------------------------------------------------------ Brook
brook_run() {  # MODE(plain|tls) PORT -> NODE_PID, BOOT, CLIENT_CFG
  local mode="$1" port="$2" p
  for p in "$port" $((port + 1)) $((port + 2)); do port_free "$p" || { log "port $p is in use: set BASE_PORT"; return 1; }; done
  {
    echo "node.id=1"; echo "process.roles=broker,controller"; echo "data.dir=$RUN_DIR/data"
    echo "listen.host=127.0.0.1"; echo "advertised.host=127.0.0.1"
    echo "grpc.port=$port"; echo "quorum.port=$((port + 1))"; echo "http.port=$((port + 2))"
    echo "controller.quorum.voters=1@127.0.0.1:$((port + 1))"; echo "controller.endpoints=127.0.0.1:$port"
    echo "num.partitions=$PARTITIONS"
    if [ "$mode" = tls ]; then
      echo "security.protocol=SSL"; echo "ssl.certificate=$WORK/certs/node-1.pem"
      echo "ssl.private.key=$WORK/certs/node-1.key"; echo "ssl.ca.certificates=$WORK/certs/ca.pem"
    fi
  } > "$RUN_DIR/node.properties"
  # bin/brook execs the JVM, so $! is the node's JVM
  BROOK_HEAP_OPTS="$NODE_HEAP" BROOK_NO_BUILD=1 "$ROOT/bin/brook" server -c "$RUN_DIR/node.properties" > "$RUN_DIR/node.out" 2>&1 &
  NODE_PID=$!
  await_ready brook "$RUN_DIR/node.out" curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$((port + 2))/ready" || return 1
  BOOT="127.0.0.1:$port"
  CLIENT_CFG="$WORK/brook-client-$mode.properties"
}
brook_topic() {
  create_topic brook "${BROOK_CLI[@]}" topics create perf --partitions "$PARTITIONS" --replication-factor 1 \
    --bootstrap-server "$BOOT" --command-config "$CLIENT_CFG"
}
brook_produce() {
  measure produce brook produce "${BROOK_CLI[@]}" perf produce --topic perf --num-records "$RECORDS" \
    --record-size "$RECORD_SIZE" --throughput -1 --producer-props acks=1 "${_props[@]}" \
    --bootstrap-server "$BOOT" --command-config "$CLIENT_CFG" --json
}
brook_consume() {
  measure consume brook consume "${BROOK_CLI[@]}" perf consume --topic perf --num-records "$RECORDS" \
    --timeout 60000 --group "tls-$RUN_NAME-$TS" --bootstrap-server "$BOOT" --command-config "$CLIENT_CFG" --json
}

# ------------------------------------------------------------------ Kafka
kafka_run() {  # MODE(plain|tls) PORT -> NODE_PID, BOOT, CLIENT_CFG
  local mode="$1" port=$(($2 + 5)) cport=$(($2 + 6)) proto=PLAINTEXT p cid
  [ "$mode" = tls ] && proto=SSL
  for p in "$port" "$cport"; do port_free "$p" || { log "port $p is in use: set BASE_PORT"; return 1; }; done
  sed -e "s|@PROTOCOL@|$proto|g" -e "s|@PORT@|$port|g" -e "s|@CONTROLLER_PORT@|$cport|g" \
      -e "s|@DATA_DIR@|$RUN_DIR/data|" -e "s|@PARTITIONS@|$PARTITIONS|" \
      "$HERE/kafka-server.properties.in" > "$RUN_DIR/server.properties"
  if [ "$mode" = tls ]; then
    sed -e "s|@KEYSTORE@|$WORK/certs/kafka-keystore.pem|" -e "s|@CA@|$WORK/certs/ca.pem|" \
      "$HERE/kafka-ssl.properties.in" >> "$RUN_DIR/server.properties"
  fi
  cid=$("${KAFKA_CLI[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)
  [ -n "$cid" ] || { log "kafka StorageTool random-uuid failed"; return 1; }
  "${KAFKA_CLI[@]}" kafka.tools.StorageTool format -t "$cid" -c "$RUN_DIR/server.properties" > "$RUN_DIR/format.out" 2>&1 \
    || { log "kafka storage format failed"; cat "$RUN_DIR/format.out" >&2; return 1; }
  # shellcheck disable=SC2086
  "$JAVA" $NODE_HEAP $KAFKA_JVM_OPTS -Dcompare.node.dir="$RUN_DIR" \
    -Dlog4j2.configurationFile="$CMP/log4j2-kafka-node.properties" \
    -cp "$KAFKA_CP" kafka.Kafka "$RUN_DIR/server.properties" > "$RUN_DIR/node.out" 2>&1 &
  NODE_PID=$!
  await_ready kafka "$RUN_DIR/node.out $RUN_DIR/server.log" grep -qs "Kafka Server started" "$RUN_DIR/server.log" || return 1
  BOOT="127.0.0.1:$port"
  CLIENT_CFG="$WORK/kafka-client-$mode.properties"
}
kafka_topic() {
  create_topic kafka "${KAFKA_CLI[@]}" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOT" \
    --command-config "$CLIENT_CFG" --create --topic perf --partitions "$PARTITIONS" --replication-factor 1
}
kafka_produce() {
  measure produce kafka produce "${KAFKA_CLI[@]}" org.apache.kafka.tools.ProducerPerformance --bootstrap-server "$BOOT" \
    --command-config "$CLIENT_CFG" --topic perf --num-records "$RECORDS" --record-size "$RECORD_SIZE" \
    --throughput -1 --command-property acks=1 "${_props[@]}"
}
kafka_consume() {
  measure consume kafka consume "${KAFKA_CLI[@]}" org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$BOOT" \
    --command-config "$CLIENT_CFG" --topic perf --num-records "$RECORDS" --timeout 60000 \
    --group "tls-$RUN_NAME-$TS" --command-property auto.offset.reset=earliest
}

# one_run INDEX SYSTEM MODE: a fresh node, topic, produce, consume, stop; appends a row to runs.tsv
one_run() {
  local idx="$1" sys="$2" mode="$3" port=$((BASE_PORT + 10 * $1)) l p c
  case "$sys-$mode" in kafka-tls) RUN_NAME=kafka-ssl ;; *) RUN_NAME="$sys-$mode" ;; esac
  RUN_DIR="$WORK/run$idx-$RUN_NAME"; mkdir -p "$RUN_DIR"
  log "run $idx: $RUN_NAME (load $(load1))"
  "${sys}_run" "$mode" "$port" || return 1
  "${sys}_topic" || return 1
  l=$(load1)
  "${sys}_produce" || return 1
  p="$MEASURED"
  "${sys}_consume" || return 1
  c="$MEASURED"
  stop_node
  mkdir -p "$RES/run$idx-$RUN_NAME"
  cp "$RUN_DIR"/*.{cmd,out,err,time} "$RES/run$idx-$RUN_NAME/" 2>/dev/null || true
  rm -rf "$RUN_DIR"
  log "  produce $p, consume $c (rec/s MB/s fetch-only-rec/s other% node-cpu-s client-cpu-s)"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$idx" "$sys" "$mode" "$l" "$p" "$c" | tr ' ' '\t' >> "$RUNS"   # 16 columns
}

# ------------------------------------------------------------------ prepare
# Brook: measured, and its `brook certs create` makes the certificates for both systems
if [ "${BROOK_NO_BUILD:-0}" != 1 ]; then
  log "building Brook if its sources changed (bin/brook; set BROOK_NO_BUILD=1 to skip)"
  "$ROOT/bin/brook" --version > /dev/null
fi
[ -f "$ROOT/deploy/target/lib/brook-deploy.jar" ] || { echo "no Brook distribution: mvn -B -q -DskipTests package" >&2; exit 1; }
case " $SYSTEMS " in *" kafka "*)
  if ! ls "$CMP"/lib/kafka-tools-*.jar > /dev/null 2>&1; then
    log "fetching Kafka jars into bench/compare/lib (mvn dependency:copy-dependencies)"
    (cd "$CMP" && mvn -B -q dependency:copy-dependencies)
  fi ;;
esac
KAFKA_VERSION="$( (ls "$CMP"/lib/kafka_2.13-*.jar 2> /dev/null || true) | sed -n 's/.*kafka_2.13-\(.*\)\.jar$/\1/p' | head -1)"

# one CA and node certificate for both systems; Kafka's PEM keystore is the key, then the chain
BROOK_NO_BUILD=1 "$ROOT/bin/brook" certs create --dir "$WORK/certs" --nodes 1 > /dev/null
cat "$WORK/certs/node-1.key" "$WORK/certs/node-1.pem" > "$WORK/certs/kafka-keystore.pem"
chmod 600 "$WORK/certs/kafka-keystore.pem"
: > "$WORK/brook-client-plain.properties"
printf 'security.protocol=SSL\nssl.ca.certificates=%s\n' "$WORK/certs/ca.pem" > "$WORK/brook-client-tls.properties"
: > "$WORK/kafka-client-plain.properties"
printf 'security.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.location=%s\n' "$WORK/certs/ca.pem" > "$WORK/kafka-client-tls.properties"

{
  echo "bench/tls.sh $TS"
  echo "brook: $(git -C "$ROOT" rev-parse --short HEAD 2> /dev/null)$(git -C "$ROOT" diff --quiet HEAD 2> /dev/null || echo ' + uncommitted changes'); kafka: ${KAFKA_VERSION:-?} (Maven Central jars, KRaft)"
  echo "java: $("$JAVA" -version 2>&1 | head -1)"
  echo "host: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); clients on the same cores"
  echo "uptime at start: $(uptime)"
  echo "single node, RF=1, $RECORDS records of $RECORD_SIZE B, $PARTITIONS partitions, acks=1, one producer and one consumer thread; $ROUNDS round(s)"
  echo "producer props (both systems): ${PRODUCER_PROPS:-none (the defaults of each producer)}; node heap $NODE_HEAP, client heap $CLIENT_HEAP"
  echo "TLS: server-side only for clients (ssl.client.auth=requested, no client certificate), one EC P-256 certificate from 'brook certs create' for both systems"
} > "$RES/header.txt"
cat "$RES/header.txt" >&2

# ------------------------------------------------------------------ run, alternating
ORDER=()
for s in $SYSTEMS; do ORDER+=("$s plain" "$s tls"); done
idx=0
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then seq_=("${ORDER[@]}"); else seq_=(); for ((k=${#ORDER[@]}-1; k>=0; k--)); do seq_+=("${ORDER[k]}"); done; fi
  for entry in "${seq_[@]}"; do
    idx=$((idx + 1))
    read -r sys mode <<< "$entry"
    one_run "$idx" "$sys" "$mode" || { log "run $idx ($sys $mode) failed: stopping"; stop_node; exit 1; }
  done
done

{
  cat "$RES/header.txt"
  echo
  python3 - "$RUNS" "$ROUNDS" "$RECORDS" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
rounds, records = int(sys.argv[2]), int(sys.argv[3])
label = {("brook", "plain"): "brook-plain", ("brook", "tls"): "brook-tls",
         ("kafka", "plain"): "kafka-plain", ("kafka", "tls"): "kafka-ssl"}
M = 1e6 / records
print(f"{'run':>3}  {'':<11} {'load1':>5}  {'produce rec/s':>13} {'MB/s':>6} {'cpu-s/M':>7}  {'consume rec/s':>13} {'MB/s':>6} {'fetch-only':>10} {'cpu-s/M':>7}  {'other% p/c':>10}")
for r in rows:
    idx, s, m, load = r[:4]
    prps, pmb, _, pot, pn, pc = r[4:10]
    crps, cmb, cfetch, cot, cn, cc = r[10:16]
    pcpu, ccpu = (float(pn) + float(pc)) * M, (float(cn) + float(cc)) * M
    print(f"{idx:>3}  {label[(s, m)]:<11} {load:>5}  {int(prps):>13,} {float(pmb):>6.2f} {pcpu:>7.2f}  {int(crps):>13,} {float(cmb):>6.2f} {int(cfetch):>10,} {ccpu:>7.2f}  {pot + '/' + cot:>10}")
print("MB/s: MiB/s as the tools print them; consume rec/s: whole run, incl. the group join; fetch-only: without the join")
print("cpu-s/M: CPU seconds of the node and the perf tool together per million records (less sensitive to")
print("  neighbours than rec/s); other% p/c: CPU of other processes during produce/consume, % of one core")
print()
def vals(s, m, f):
    return [f(r) for r in rows if r[1] == s and r[2] == m]
num = lambda col: (lambda r: float(r[col]))
cpu = lambda a, b: (lambda r: (float(r[a]) + float(r[b])) * M)
cost, cpu_cost = {}, {}
for s in ("brook", "kafka"):
    if not vals(s, "plain", num(4)):
        continue
    tls_name = "SSL" if s == "kafka" else "TLS"
    for f, what, unit, into in ((num(4), "produce", "rec/s", cost), (num(10), "consume", "rec/s", cost),
                                (num(12), "consume fetch-only", "rec/s", cost),
                                (cpu(8, 9), "produce CPU", "cpu-s/M", cpu_cost), (cpu(14, 15), "consume CPU", "cpu-s/M", cpu_cost)):
        p, t = vals(s, "plain", f), vals(s, "tls", f)
        mp, mt = sum(p) / len(p), sum(t) / len(t)
        per = ", ".join(f"{b / a:.2f}" for a, b in zip(p, t))
        into[(s, what)] = mt / mp
        fmt = (lambda v: f"{v:,.0f}") if unit == "rec/s" else (lambda v: f"{v:.2f}")
        print(f"{s} {what}: plaintext {fmt(mp)} {unit}, {tls_name} {fmt(mt)} {unit}, {tls_name}/plaintext {mt / mp:.2f}"
              + (f" (per round: {per})" if rounds > 1 else ""))
noisy = [f"{r[0]} {label[(r[1], r[2])]} {ph}" for r in rows for ph, col in (("produce", 7), ("consume", 13)) if float(r[col]) >= 25]
if any(c > 1 for k, c in cost.items()):
    print("NOTE: a TLS/plaintext throughput ratio above 1 means the host's noise outweighed the cost of TLS in this run")
if noisy:
    print(f"WARNING: other processes used 25% of a core or more during {len(noisy)} of {2 * len(rows)} phases"
          f" ({', '.join(noisy)}): throughput ratios from this run are unreliable")
if all((s, w) in cost for s in ("brook", "kafka") for w in ("produce", "consume")):
    print()
    for w in ("produce", "consume", "consume fetch-only"):
        b, k = 1 - cost[("brook", w)], 1 - cost[("kafka", w)]
        verdict = "below" if b < k else ("equal to" if b == k else "above")
        print(f"TLS cost in throughput (1 - TLS/plaintext), {w}: Brook {100 * b:.0f}%, Kafka {100 * k:.0f}%: Brook's is {verdict} Kafka's")
    for w in ("produce CPU", "consume CPU"):
        b, k = cpu_cost[("brook", w)] - 1, cpu_cost[("kafka", w)] - 1
        verdict = "below" if b < k else ("equal to" if b == k else "above")
        print(f"TLS cost in CPU per record (TLS/plaintext - 1), {w.split()[0]}: Brook {100 * b:+.0f}%, Kafka {100 * k:+.0f}%: Brook's is {verdict} Kafka's")
PY
  echo
  echo "uptime at end: $(uptime)"
  echo "raw tool output: $RES"
} > "$RES/summary.txt"
echo
cat "$RES/summary.txt"

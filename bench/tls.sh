#!/usr/bin/env bash
# Brook's cost of TLS, measured in one run on this machine: one node, produce then consume
# RECORDS records of RECORD_SIZE bytes over PARTITIONS partitions (acks=1), first in plaintext,
# then with security.protocol=SSL (TLS on the client port; development certificates from
# `brook certs create`), then plaintext again, then TLS again; prints records/s per run and the
# TLS/plaintext ratios of the means. Kafka with SSL listeners is not run here (see
# docs/performance.md).
#
#   bench/tls.sh                    # RECORDS=2000000
#   RECORDS=500000 bench/tls.sh     # quick
set -euo pipefail
cd "$(dirname "$0")/.."
RECORDS="${RECORDS:-2000000}"
RECORD_SIZE="${RECORD_SIZE:-100}"
PARTITIONS="${PARTITIONS:-6}"
BASE_PORT="${BASE_PORT:-19700}"
NODE_HEAP="${NODE_HEAP:--Xms1g -Xmx1g}"
WORK="$(mktemp -d /tmp/brook-tls-bench.XXXXXX)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

bin/brook --version > /dev/null  # builds once if needed
export BROOK_NO_BUILD=1
bin/brook certs create --dir "$WORK/certs" --nodes 1 > /dev/null
printf 'security.protocol=SSL\nssl.ca.certificates=%s\n' "$WORK/certs/ca.pem" > "$WORK/client-ssl.properties"
: > "$WORK/client-plain.properties"

run() {  # run MODE INDEX -> prints "MODE produce_rps consume_rps"
  local mode="$1" i="$2" port=$((BASE_PORT + 10 * $2)) dir="$WORK/run$2"
  mkdir -p "$dir"
  {
    echo "node.id=1"; echo "data.dir=$dir/data"; echo "listen.host=127.0.0.1"; echo "advertised.host=127.0.0.1"
    echo "grpc.port=$port"; echo "quorum.port=$((port + 1))"; echo "http.port=$((port + 2))"
    echo "controller.quorum.voters=1@127.0.0.1:$((port + 1))"; echo "controller.endpoints=127.0.0.1:$port"
    if [ "$mode" = tls ]; then
      echo "security.protocol=SSL"; echo "ssl.certificate=$WORK/certs/node-1.pem"
      echo "ssl.private.key=$WORK/certs/node-1.key"; echo "ssl.ca.certificates=$WORK/certs/ca.pem"
    fi
  } > "$dir/node.properties"
  BROOK_HEAP_OPTS="$NODE_HEAP" bin/brook server --config "$dir/node.properties" > "$dir/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 120); do
    if curl -sf "http://127.0.0.1:$((port + 2))/ready" > /dev/null; then break; fi
    sleep 0.5
  done
  local cfg="$WORK/client-plain.properties"
  [ "$mode" = tls ] && cfg="$WORK/client-ssl.properties"
  local boot="127.0.0.1:$port"
  bin/brook topics create perf --partitions "$PARTITIONS" --replication-factor 1 -b "$boot" --command-config "$cfg" > /dev/null
  local p c
  p=$(bin/brook perf produce --topic perf --num-records "$RECORDS" --record-size "$RECORD_SIZE" --throughput -1 \
      --acks 1 -b "$boot" --command-config "$cfg" --json | grep '^{' | tail -1)
  c=$(bin/brook perf consume --topic perf --num-records "$RECORDS" --timeout 60000 -b "$boot" \
      --command-config "$cfg" --json | grep '^{' | tail -1)
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  echo "$mode $(echo "$p" | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["records_per_sec"]))') \
$(echo "$c" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(round(d.get("records_per_sec", d.get("nMsg_sec", 0))))')"
}

{
  run plain 1; run tls 2; run plain 3; run tls 4
} | tee "$WORK/results.txt"
python3 - "$WORK/results.txt" "$RECORDS" "$RECORD_SIZE" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
def mean(mode, col):
    v = [float(r[col]) for r in rows if r[0] == mode]
    return sum(v) / len(v)
print(f"records={sys.argv[2]} size={sys.argv[3]}")
for col, what in ((1, "produce"), (2, "consume")):
    p, t = mean("plain", col), mean("tls", col)
    print(f"{what}: plaintext {p:,.0f} rec/s, TLS {t:,.0f} rec/s, TLS/plaintext {t / p:.2f}")
PY

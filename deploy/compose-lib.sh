# deploy/compose-lib.sh: what deploy/compose-test.sh and deploy/compose-secure-test.sh share.
# Sourced, not run. Before sourcing, the test sets:
#   test_name       its path, for the summary's PASS/FAIL line
#   compose_files   array of compose files (relative to the repository root), e.g.
#                   (deploy/docker-compose.yml deploy/docker-compose.secure.yml)
# Sourcing sets up the work directory, logging (log/ok/fail), the summary and teardown on EXIT
# (on failure too), and defines the steps each test runs in this order:
#   compose_preconditions, compose_base_images, compose_podman_service, compose_pick_ports,
#   compose_build_image, compose_start_cluster;
# then helpers for the checks: wait_for, brook, isr_full, produce_consume, promq, prom_is.
# Environment: COMPOSE_TEST_KEEP=1 leaves the cluster running (for a look around) instead of
#   tearing it down; COMPOSE_TEST_TIMEOUT (s, default 120) bounds each wait.
# shellcheck shell=bash

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
project=brookcomposetest
timeout="${COMPOSE_TEST_TIMEOUT:-120}"
jre_image=docker.io/library/eclipse-temurin:17-jre
prom_image=docker.io/prom/prometheus:v2.42.0
py=/usr/bin/python3
start_s=$SECONDS

work="$(mktemp -d /tmp/brook-compose-test.XXXXXX)"
podman_pid=""
cluster_up=0
step="setup"
declare -a passed=()

compose="docker-compose -p $project"
for f in "${compose_files[@]}"; do compose+=" -f $root/$f"; done

log() { printf '%s [%4ds] %s\n' "$(date +%H:%M:%S)" "$((SECONDS - start_s))" "$*" >&2; }
fail_reason=""
fail() { fail_reason="$*"; log "FAIL: $*"; exit 1; }

# A few lines per node for the summary, which is what a CI log shows last: the container's
# state, /ready as seen inside the container and through the published port, and the node's
# last WARN/ERROR lines.
diagnose() {
  local n s cid inside outside
  for n in 1 2 3; do
    s="brook$n"
    cid="$($compose ps -q "$s" 2>/dev/null)"
    [ -n "$cid" ] || { echo "  diag  $s: no container"; continue; }
    inside="$(podman exec "$cid" bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080 && printf "GET /ready HTTP/1.0\r\n\r\n" >&3 && timeout 3 cat <&3 | tr -d "\r" | sed -n "1p;\$p"' 2>&1 | tr '\n' ' ')"
    outside="$(curl -s -m 3 -w ' (HTTP %{http_code})' "http://127.0.0.1:$(http_port "$n")/ready" 2>&1 | tr '\n' ' ')"
    echo "  diag  $s: $(podman inspect -f '{{.State.Status}} restarts={{.RestartCount}} exit={{.State.ExitCode}}' "$cid" 2>&1)"
    echo "  diag  $s /ready inside: ${inside:-no answer}; via published port: ${outside:-no answer}"
    podman logs "$cid" 2>&1 | grep -E ' (WARN|ERROR) |Exception|error:' | tail -n 4 | cut -c1-300 | sed "s/^/  diag  $s log: /"
  done
}
ok() { passed+=("$1"); log "ok: $1"; }

cleanup() {
  rc=$?
  trap - EXIT
  set +e
  local diag=""
  if [ "$rc" -ne 0 ] && [ "$cluster_up" = 1 ]; then
    log "--- container state and last log lines (for the failure above) ---"
    $compose ps >&2
    for s in $($compose config --services); do
      echo "--- $s (last 40 lines) ---" >&2
      podman logs --tail 40 "$($compose ps -q "$s")" >&2
    done
    diag="$(diagnose 2>&1)"
  fi
  if [ "$cluster_up" = 1 ] && [ "${COMPOSE_TEST_KEEP:-0}" != 1 ]; then
    log "tearing down the compose cluster"
    $compose down -v --remove-orphans -t 10 >/dev/null 2>&1 || $compose down -v --remove-orphans -t 0 >/dev/null 2>&1
  fi
  if [ -n "$podman_pid" ] && [ "${COMPOSE_TEST_KEEP:-0}" != 1 ]; then
    kill "$podman_pid" 2>/dev/null
    wait "$podman_pid" 2>/dev/null
  fi
  rm -rf "$work"
  echo
  echo "==== compose test summary ($((SECONDS - start_s)) s) ===="
  for p in "${passed[@]}"; do echo "  ok    $p"; done
  if [ "$rc" -eq 0 ]; then
    echo "PASS: $test_name (${#passed[@]} checks)"
  else
    echo "  FAIL  during: $step"
    [ -n "$fail_reason" ] && echo "  FAIL  $fail_reason"
    [ -n "$diag" ] && printf '%s\n' "$diag"
    echo "FAIL: $test_name (exit $rc)"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits up to $timeout s for a command to succeed: wait_for "what" cmd args...
wait_for() {
  local what="$1"; shift
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      fail "timed out after ${timeout}s waiting for: $what"
    fi
    sleep 1
  done
}

# --- preconditions -------------------------------------------------------------------------
compose_preconditions() {
  step="preconditions"
  [ "$(id -u)" = 0 ] || fail "run as root (rootful podman: the compose network publishes ports and has static addresses)"
  local tool
  for tool in podman docker-compose debootstrap promtool curl "$py"; do
    command -v "$tool" >/dev/null || fail "$tool not found (install: see .ci/run)"
  done
  [ -f deploy/target/lib/brook-deploy.jar ] || fail "no distribution in deploy/target/lib: run mvn -B -DskipTests package first"
  # One compose test at a time per machine: the network's subnet and the image tags are shared.
  exec 9>/tmp/brook-compose-test.lock
  flock -w 600 9 || fail "another compose test holds /tmp/brook-compose-test.lock"

  # crun fails on this kind of host (hybrid cgroups); runc works.
  cat > "$work/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
EOF
  export CONTAINERS_CONF="$work/containers.conf"
  $compose config -q || fail "docker-compose ${compose_files[*]} config -q"
  ok "docker-compose config -q (${compose_files[*]})"
}

# --- base images (cached in podman's image store between runs) ------------------------------
build_base() { # name tag packages prepare-command change...
  local name="$1" tag="$2" pkgs="$3" prep="$4"; shift 4
  local changes=() c
  for c in "$@"; do changes+=(--change "$c"); done
  debootstrap --variant=minbase --include="$pkgs" bookworm "$work/rootfs-$name" >"$work/debootstrap-$name.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap-$name.log" >&2; return 1; }
  chroot "$work/rootfs-$name" /bin/sh -c "$prep"
  tar -C "$work/rootfs-$name" -c . | podman import -q "${changes[@]}" - "$tag" >/dev/null
  rm -rf "$work/rootfs-$name"
}
compose_base_images() {
  step="base images"
  local -a base_pids=()
  local p
  if ! podman image exists "$jre_image"; then
    log "building $jre_image from Debian's openjdk-17-jre-headless (once per machine, ~1-2 min)"
    build_base jre "$jre_image" openjdk-17-jre-headless true \
      'ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64' 'ENV LANG=C.UTF-8' 'CMD ["jshell"]' &
    base_pids+=($!)
  fi
  if ! podman image exists "$prom_image"; then
    log "building $prom_image from Debian's prometheus package (once per machine, ~1-2 min)"
    # Like the upstream image: runs as nobody, data in /prometheus (owned by nobody, so a fresh
    # named volume is writable), the server as entrypoint.
    build_base prom "$prom_image" prometheus 'mkdir -p /prometheus && chown nobody:nogroup /prometheus' \
      'USER nobody' 'WORKDIR /prometheus' 'VOLUME ["/prometheus"]' 'EXPOSE 9090' \
      'ENTRYPOINT ["/usr/bin/prometheus"]' \
      'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]' &
    base_pids+=($!)
  fi
  for p in "${base_pids[@]}"; do wait "$p" || fail "building a base image (debootstrap)"; done
  ok "base images $jre_image and $prom_image present"
}

# --- podman's Docker API, for docker-compose -------------------------------------------------
compose_podman_service() {
  step="podman API service"
  podman system service --time=0 "unix://$work/podman.sock" >"$work/podman-service.log" 2>&1 &
  podman_pid=$!
  export DOCKER_HOST="unix://$work/podman.sock"
  wait_for "podman API socket" curl -sf --unix-socket "$work/podman.sock" http://d/_ping
}

# --- published ports: the documented defaults unless this machine already uses them ----------
port_free() { ! ss -Hltn "sport = :$1" | grep -q .; }
pick() { # variable default fallback
  local v="$1" p="$2" alt="$3"
  port_free "$p" || p="$alt"
  port_free "$p" || fail "ports $2 and $alt are both in use (set $v)"
  export "$v=${!v:-$p}"
}
http_port() { local v="BROOK$1_HTTP_PORT"; echo "${!v}"; }
compose_pick_ports() {
  step="choosing ports"
  pick BROOK1_PORT 9092 19092; pick BROOK2_PORT 9182 19182; pick BROOK3_PORT 9272 19272
  pick BROOK1_HTTP_PORT 8080 18080; pick BROOK2_HTTP_PORT 8081 18081; pick BROOK3_HTTP_PORT 8082 18082
  pick PROMETHEUS_PORT 9090 19090
  log "ports: gRPC $BROOK1_PORT/$BROOK2_PORT/$BROOK3_PORT, HTTP $BROOK1_HTTP_PORT/$BROOK2_HTTP_PORT/$BROOK3_HTTP_PORT, Prometheus $PROMETHEUS_PORT"
  bootstrap="127.0.0.1:$BROOK1_PORT,127.0.0.1:$BROOK2_PORT"
  prom="http://127.0.0.1:$PROMETHEUS_PORT"
}

# --- build and start -------------------------------------------------------------------------
compose_build_image() {
  step="building the Brook image"
  $compose down -v --remove-orphans -t 0 >/dev/null 2>&1 || true   # leftovers of an interrupted run
  log "building the Brook image (docker-compose build)"
  $compose build --quiet brook1 >"$work/build.log" 2>&1 || { tail -n 30 "$work/build.log" >&2; fail "docker-compose build"; }
  [ "$(podman image inspect -f '{{.Config.User}}' brook:dev)" = brook:brook ] || fail "image does not run as the brook user"
  podman image inspect brook:dev | grep -q '/opt/brook/bin/healthcheck.sh' || fail "image has no HEALTHCHECK"
  ok "image brook:dev built (user brook, HEALTHCHECK, volume /var/lib/brook)"
}

ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(http_port "$1")/ready")" = 200 ]; }
all_ready() { ready 1 && ready 2 && ready 3; }
# One CI run (of many) saw the nodes not ready after 120 s, with no node log in what it kept.
# A failed first start is reported in full (diagnose: state, /ready inside and outside, WARN
# and ERROR lines) and the cluster is started once more from empty volumes; a second failure
# fails the test.
compose_start_cluster() {
  step="starting the cluster"
  cluster_up=1
  local first_start="" attempt n deadline
  for attempt in 1 2; do
    $compose up -d >"$work/up.log" 2>&1 || { cat "$work/up.log" >&2; fail "docker-compose up -d"; }
    deadline=$((SECONDS + timeout))
    until all_ready || [ "$SECONDS" -ge "$deadline" ]; do sleep 1; done
    all_ready && break
    if [ "$attempt" = 2 ]; then
      for n in 1 2 3; do ready "$n" || fail "timed out after ${timeout}s waiting for: node $n /ready (second start; first start: $first_start)"; done
    fi
    first_start="$(diagnose 2>&1)"
    log "the nodes were not all ready after ${timeout}s; diagnosis, then a second start from empty volumes:"
    printf '%s\n' "$first_start" >&2
    $compose logs --no-color --tail 60 brook1 brook2 brook3 >&2 2>&1 || true
    $compose down -v -t 5 >/dev/null 2>&1 || $compose down -v -t 0 >/dev/null 2>&1
  done
  if [ -z "$first_start" ]; then
    ok "three nodes ready (GET /ready = 200 on the published HTTP ports)"
  else
    ok "three nodes ready on a second start (the first was not ready after ${timeout}s: see the diagnosis above)"
  fi
}

# --- clients through the published ports -------------------------------------------------------
# Short-lived CLI JVMs: C1 only and the serial collector start about twice as fast on a busy host.
brook() { BROOK_NO_BUILD=1 BROOK_HEAP_OPTS="-Xms64m -Xmx256m" BROOK_JVM_OPTS="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC" "$root/bin/brook" "$@"; }

# isr_full [brook options...]: every partition of $topic has 3 replicas, all in the ISR.
isr_full() {
  brook topics describe "$topic" --output json --bootstrap-server "$bootstrap" "$@" 2>/dev/null | "$py" -c '
import json, sys
d = json.load(sys.stdin)
parts = d.get("partitions", [])
ok = len(parts) == 3 and all(len(p.get("replicas", [])) == 3 and sorted(p.get("isr", [])) == sorted(p["replicas"]) for p in parts)
sys.exit(0 if ok else 1)'
}

# produce_consume ROUND COUNT [brook options...]: produces COUNT records to $topic and reads them
# back through group $group (the options, e.g. --command-config FILE, go to both commands).
produce_consume() {
  local round="$1" count="$2"; shift 2
  seq 1 "$count" | sed "s/^/$round-/" > "$work/sent-$round"
  brook produce "$topic" --bootstrap-server "$bootstrap" "$@" < "$work/sent-$round" \
    || fail "produce (round $round)"
  brook consume "$topic" --group "$group" --from-beginning --max-messages "$count" --timeout-ms 20000 \
    --bootstrap-server "$bootstrap" "$@" > "$work/got-$round" || true
  sort "$work/sent-$round" > "$work/sent-$round.sorted"
  sort "$work/got-$round" > "$work/got-$round.sorted"
  cmp -s "$work/sent-$round.sorted" "$work/got-$round.sorted" \
    || fail "consume (round $round): expected the $count records just produced, got $(wc -l < "$work/got-$round") ($(comm -3 "$work/sent-$round.sorted" "$work/got-$round.sorted" | head -3 | tr '\n' ' '))"
}

# --- Prometheus ------------------------------------------------------------------------------
# promq EXPR: prints the sum of the query's sample values, or "none" if it returns no series.
promq() {
  curl -sfG "$prom/api/v1/query" --data-urlencode "query=$1" | "$py" -c '
import json, sys
d = json.load(sys.stdin)
r = d["data"]["result"]
if d["data"]["resultType"] == "scalar":
    print(float(r[1]))
elif not r:
    print("none")
else:
    print(sum(float(s["value"][1]) for s in r))'
}
# prom_is EXPR OP VALUE: the query's summed value compares so (OP: -eq -gt ...); "none" fails.
prom_is() {
  local v; v="$(promq "$1")" || return 1
  [ "$v" != none ] && "$py" -c "import sys; a=float(sys.argv[1]); b=float(sys.argv[3]); op=sys.argv[2]; sys.exit(0 if {'-eq':a==b,'-gt':a>b,'-ge':a>=b,'-lt':a<b}[op] else 1)" "$v" "$2" "$3"
}

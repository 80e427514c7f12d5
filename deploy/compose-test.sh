#!/usr/bin/env bash
# deploy/compose-test.sh: proves deploy/docker-compose.yml under a real container engine.
#
# No Docker engine here, so it runs docker-compose (v1) against podman's Docker-compatible API:
#  1. base images, built once per machine from Debian packages (no registry is reachable) and
#     tagged as the public names the Dockerfile and the compose file use: eclipse-temurin:17-jre
#     (a JRE) and prom/prometheus:v2.42.0 (Debian's Prometheus);
#  2. promtool check config / check rules / test rules; docker-compose config -q;
#  3. builds the Brook image, brings the cluster up, waits until every node is ready;
#  4. creates an RF=3 topic, produces and consumes (with a group) through the published ports;
#  5. stops one node: produce and consume still work, Prometheus sees up == 0 for it, the
#     under-replicated gauge > 0 and the BrookUnderReplicatedPartitions alert firing;
#  6. starts it again: the ISR heals (describe shows ISR == replicas), the gauge goes back to 0
#     and the alert resolves;
#  7. every query of deploy/grafana/brook.json returns data from the compose Prometheus;
#  8. tears everything down (trap on EXIT, on failure too) and prints PASS or FAIL.
#
# Needs: root, podman, docker-compose, debootstrap, prometheus (promtool), curl, python3 (the
# apt packages are in .ci/run) and the distribution in deploy/target/lib (mvn -B -DskipTests package).
# Environment: COMPOSE_TEST_KEEP=1 leaves the cluster running (for a look around) instead of
#   tearing it down; COMPOSE_TEST_TIMEOUT (s, default 120) bounds each wait.
# The setup, teardown and client helpers are in deploy/compose-lib.sh, shared with
# deploy/compose-secure-test.sh (the secured variant, deploy/docker-compose.secure.yml).
set -euo pipefail

test_name=deploy/compose-test.sh
compose_files=(deploy/docker-compose.yml)
# shellcheck source=deploy/compose-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/compose-lib.sh"

compose_preconditions

# --- static checks ---------------------------------------------------------------------------
step="static checks"
promtool check config deploy/prometheus.yml >/dev/null || fail "promtool check config deploy/prometheus.yml"
promtool check rules deploy/prometheus/rules.yml >/dev/null || fail "promtool check rules"
promtool test rules deploy/prometheus/rules.test.yml >/dev/null || fail "promtool test rules deploy/prometheus/rules.test.yml"
ok "promtool check config, check rules, test rules"

compose_base_images
compose_podman_service
compose_pick_ports
compose_build_image
compose_start_cluster

cid3="$($compose ps -q brook3)"
podman healthcheck run "$cid3" >/dev/null || fail "the image's HEALTHCHECK fails on a ready node"
ok "HEALTHCHECK passes inside a ready container"

# --- traffic through the published ports ----------------------------------------------------
topic=compose-orders
group=compose-group

step="creating an RF=3 topic"
brook topics create "$topic" --partitions 3 --replication-factor 3 --bootstrap-server "$bootstrap" >/dev/null
wait_for "topic $topic with RF=3 and a full ISR" isr_full
ok "topic $topic created: 3 partitions, RF=3, ISR full"

step="produce and consume, all nodes up"
produce_consume a 500
ok "produced 500 records and consumed them back with group $group (bootstrap $bootstrap)"

# --- Prometheus ------------------------------------------------------------------------------
alert_state() { # ALERTNAME: firing / pending / inactive
  curl -sf "$prom/api/v1/alerts" | "$py" -c '
import json, sys
alerts = [a for a in json.load(sys.stdin)["data"]["alerts"] if a["labels"]["alertname"] == sys.argv[1]]
states = {a["state"] for a in alerts}
print("firing" if "firing" in states else "pending" if "pending" in states else "inactive")' "$1"
}
alert_is() { [ "$(alert_state "$1")" = "$2" ]; }

step="Prometheus scraping the nodes"
metrics_code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(http_port 1)/metrics")"
[ "$metrics_code" = 200 ] || fail "GET /metrics on node 1 answers $metrics_code, not 200 (is the metrics endpoint in this build?)"
wait_for "Prometheus up == 1 for all three nodes" prom_is 'sum(up{job="brook"})' -eq 3
ok "Prometheus scrapes all three nodes (up == 1)"
wait_for "brook_partitions_leader to cover the topic" prom_is 'sum(brook_partitions_leader)' -ge 3
wait_for "no under-replicated partition before the stop" prom_is 'sum(brook_partitions_under_replicated)' -eq 0

# --- one node down -----------------------------------------------------------------------------
step="stopping brook3"
$compose stop -t 30 brook3 >/dev/null 2>&1 || fail "docker-compose stop brook3"
# SIGTERM reached the JVM (PID 1) and ran Brook's shutdown: it logs "Brook node 3 stopped".
podman logs "$cid3" 2>&1 | grep -q 'Brook node 3 stopped' \
  || fail "brook3 did not shut down cleanly on SIGTERM (no 'Brook node 3 stopped' in its log)"
ok "brook3 stopped by SIGTERM with a clean shutdown (exit code $(podman inspect -f '{{.State.ExitCode}}' "$cid3"))"

step="produce and consume with brook3 down"
produce_consume b 300
ok "with brook3 down: produced 300 records and consumed them back"

step="Prometheus sees brook3 down"
wait_for 'up{instance="brook3:8080"} == 0' prom_is 'up{job="brook",instance="brook3:8080"}' -eq 0
ok "Prometheus: up{instance=\"brook3:8080\"} == 0"
wait_for "BrookNodeDown firing" alert_is BrookNodeDown firing
ok "alert BrookNodeDown firing"
wait_for "brook_partitions_under_replicated > 0" prom_is 'sum(brook_partitions_under_replicated)' -gt 0
ok "Prometheus: sum(brook_partitions_under_replicated) = $(promq 'sum(brook_partitions_under_replicated)') > 0"
wait_for "BrookUnderReplicatedPartitions firing" alert_is BrookUnderReplicatedPartitions firing
ok "alert BrookUnderReplicatedPartitions firing"

# --- the node comes back ---------------------------------------------------------------------
step="restarting brook3"
$compose start brook3 >/dev/null 2>&1 || fail "docker-compose start brook3"
wait_for "node 3 /ready after restart" ready 3
wait_for "the ISR of every partition back to 3 replicas" isr_full
ok "brook3 restarted and ready; ISR healed (describe: ISR == replicas for every partition)"
wait_for "brook_partitions_under_replicated back to 0" prom_is 'sum(brook_partitions_under_replicated)' -eq 0
wait_for "up == 1 for all three nodes again" prom_is 'sum(up{job="brook"})' -eq 3
wait_for "BrookUnderReplicatedPartitions resolved" alert_is BrookUnderReplicatedPartitions inactive
wait_for "BrookNodeDown resolved" alert_is BrookNodeDown inactive
ok "under-replicated gauge 0, alerts BrookUnderReplicatedPartitions and BrookNodeDown resolved"

# --- dashboard -------------------------------------------------------------------------------
step="dashboard queries"
produce_consume c 200                                     # fresh traffic and a group commit
# Requests that must fail, so the errors panel has a series: creating an existing topic
# (TOPIC_ALREADY_EXISTS) and reading an unknown one.
if brook topics create "$topic" --bootstrap-server "$bootstrap" >/dev/null 2>&1; then
  fail "creating the existing topic $topic again succeeded"
fi
brook consume no-such-topic-compose --partition 0 --timeout-ms 2000 --request-timeout-ms 3000 \
  --bootstrap-server "$bootstrap" >/dev/null 2>&1 || true
sleep_until=$((SECONDS + 12)); while [ "$SECONDS" -lt "$sleep_until" ]; do sleep 1; done   # two scrapes
"$py" - "$root/deploy/grafana/brook.json" > "$work/exprs" <<'EOF'
import json, sys
dash = json.load(open(sys.argv[1]))
def panels(ps):
    for p in ps:
        yield p
        yield from panels(p.get("panels", []))
n = 0
for p in panels(dash["panels"]):
    for t in p.get("targets", []):
        if t.get("expr"):
            expr = t["expr"].replace("$__rate_interval", "1m").replace("$__interval", "15s").replace("$__range", "5m")
            print(p.get("title", "?") + "\t" + expr.replace("\n", " "))
            n += 1
if n == 0:
    sys.exit("no panel queries found")
EOF
total=0; empty=0
while IFS=$'\t' read -r title expr; do
  total=$((total + 1))
  v="$(promq "$expr" 2>/dev/null || echo error)"
  if [ "$v" = none ] || [ "$v" = error ]; then
    # a series may appear with the next scrape: give each query a little time
    deadline=$((SECONDS + 30))
    while { [ "$v" = none ] || [ "$v" = error ]; } && [ "$SECONDS" -lt "$deadline" ]; do
      sleep 2; v="$(promq "$expr" 2>/dev/null || echo error)"
    done
  fi
  if [ "$v" = none ] || [ "$v" = error ]; then
    log "dashboard panel \"$title\": query returns $v: $expr"
    empty=$((empty + 1))
  fi
done < "$work/exprs"
[ "$empty" = 0 ] || fail "$empty of $total dashboard queries return no data"
ok "all $total dashboard queries (deploy/grafana/brook.json) return data"

step="done"
log "all checks passed"

#!/usr/bin/env bash
# deploy/compose-secure-test.sh: proves the secured compose cluster (deploy/docker-compose.yml
# with deploy/docker-compose.secure.yml) under podman + docker-compose v1, like
# deploy/compose-test.sh and with its setup (deploy/compose-lib.sh):
#  1. docker-compose config -q of both files; base images and the Brook image (cached: after
#     deploy/compose-test.sh this takes seconds);
#  2. brings the cluster up: the one-shot `certs` service writes the certificates (into a
#     scratch directory, BROOK_CERTS_DIR, not deploy/secrets/), the nodes start after it with TLS
#     on every port and the authorizer on; waits until every node is ready; checks the files'
#     modes and that a second run of `certs` keeps them;
#  3. as the admin (mutual TLS, certificate CN=admin, a super user): an RF=3 topic with a full
#     ISR (the nodes replicate to each other over mutual TLS), a SCRAM user and ACLs for it
#     (Write and Read on the topic, Read on the group);
#  4. refusals: a plaintext client on a TLS port, an anonymous TLS client (CA only) producing
#     (authorization), the user with a wrong password (authentication);
#  5. the user over SASL_SSL produces and consumes with a group through the published ports;
#     reading from the beginning returns exactly what it produced, so the refused anonymous
#     produce wrote nothing;
#  6. Prometheus still scrapes plaintext /metrics: up == 1 for all three nodes;
#  7. tears everything down (trap on EXIT, on failure too) and prints PASS or FAIL.
#
# Needs what deploy/compose-test.sh needs (root, podman, docker-compose, debootstrap, promtool,
# curl, python3; the distribution in deploy/target/lib). Environment: COMPOSE_TEST_KEEP=1,
# COMPOSE_TEST_TIMEOUT as there.
set -euo pipefail

test_name=deploy/compose-secure-test.sh
compose_files=(deploy/docker-compose.yml deploy/docker-compose.secure.yml)
# shellcheck source=deploy/compose-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/compose-lib.sh"

# The certs service writes here (bind mount), so the test leaves deploy/secrets/ alone. The
# directory belongs to someone else than root, as deploy/secrets/ does in a user's checkout: the
# files must go to that owner (uid/gid 4242 here), the keys readable by group 10001 (the nodes).
export BROOK_CERTS_DIR="$work/certs"
mkdir -p "$BROOK_CERTS_DIR"
chown 4242:4242 "$BROOK_CERTS_DIR"
certs="$BROOK_CERTS_DIR"

compose_preconditions
compose_base_images
compose_podman_service
compose_pick_ports
compose_build_image
secure_start_s=$SECONDS
compose_start_cluster

# --- certificates ------------------------------------------------------------------------------
step="certificates"
certs_cid="$($compose ps -q certs)"
[ "$(podman inspect -f '{{.State.ExitCode}}' "$certs_cid")" = 0 ] || fail "the certs service did not exit 0"
modes="$(cd "$certs" && stat -c '%n %a %u:%g' ca.key node-1.key node-2.key node-3.key client-admin.key ca.pem node-1.pem | tr '\n' ';')"
[ "$modes" = "ca.key 600 4242:4242;node-1.key 640 4242:10001;node-2.key 640 4242:10001;node-3.key 640 4242:10001;client-admin.key 640 4242:10001;ca.pem 644 4242:4242;node-1.pem 644 4242:4242;" ] \
  || fail "certificate files have unexpected modes/owners: $modes"
ok "certs service exited 0: CA, node-{1,2,3} and client-admin, owned by the directory's owner (keys 0640 group 10001, ca.key 0600)"
ca_sum="$(sha256sum "$certs/ca.pem" "$certs/node-1.pem")"
# The same container once more (`docker-compose run` trips over podman's network description).
rerun="$(podman start -a "$certs_cid" 2>&1)" || fail "running the certs service again: $rerun"
grep -q 'already in place' <<<"$rerun" || fail "the certs service made certificates again over existing ones: $rerun"
[ "$(sha256sum "$certs/ca.pem" "$certs/node-1.pem")" = "$ca_sum" ] || fail "the certs service changed existing certificates"
ok "certs service run again: certificates kept (CA and node certificates unchanged)"

# --- client configurations -----------------------------------------------------------------------
props() { local f="$work/$1.properties"; shift; printf '%s\n' "$@" > "$f"; echo "$f"; }
admin_cfg="$(props admin security.protocol=SSL "ssl.ca.certificates=$certs/ca.pem" \
  "ssl.certificate=$certs/client-admin.pem" "ssl.private.key=$certs/client-admin.key")"
anon_cfg="$(props anonymous security.protocol=SSL "ssl.ca.certificates=$certs/ca.pem")"
alice_cfg="$(props alice security.protocol=SASL_SSL "ssl.ca.certificates=$certs/ca.pem" \
  sasl.mechanism=SCRAM-SHA-256 sasl.username=alice sasl.password=alice-secret)"
wrong_cfg="$(props wrong security.protocol=SASL_SSL "ssl.ca.certificates=$certs/ca.pem" \
  sasl.mechanism=SCRAM-SHA-256 sasl.username=alice sasl.password=not-alices)"
admin=(--command-config "$admin_cfg")
topic=secure-orders
group=secure-group

# CLI commands that do not depend on each other run side by side (each is a JVM start):
#   cli_bg NAME brook-args...   starts one; its output goes to $work/NAME.out, its exit code to NAME.rc
#   cli_wait                 waits for all started so far
#   cli_ok NAME WHAT         it succeeded
#   cli_refused NAME WHAT REGEX   it failed and its output matches REGEX (grep -E)
declare -a cli_pids=()
cli_bg() {
  local name="$1"; shift
  { local rc=0; brook "$@" < "$work/cli-input" > "$work/$name.out" 2>&1 || rc=$?; echo "$rc" > "$work/$name.rc"; } &
  cli_pids+=($!)
}
cli_wait() { local p; for p in "${cli_pids[@]}"; do wait "$p" || true; done; cli_pids=(); }
cli_ok() {
  [ "$(cat "$work/$1.rc")" = 0 ] || fail "$2 failed: $(head -c 300 "$work/$1.out")"
}
cli_refused() {
  local name="$1" what="$2" re="$3"
  local rc; rc="$(cat "$work/$name.rc")" || fail "$what: no exit code"
  [ "$rc" != 0 ] || fail "$what: the command succeeded ($(head -c 200 "$work/$name.out"))"
  grep -qE -- "$re" "$work/$name.out" || fail "$what: expected /$re/ in: $(head -c 300 "$work/$name.out")"
  log "$what: $(grep -E -- "$re" "$work/$name.out" | head -1 | cut -c1-200)"
}
echo refused > "$work/cli-input"

# --- the admin ---------------------------------------------------------------------------------
step="admin: topic, user, ACLs"
printf 'alice-secret\n' > "$work/alice.password"
cli_bg create topics create "$topic" --partitions 3 --replication-factor 3 --bootstrap-server "$bootstrap" "${admin[@]}"
cli_bg user users add alice --password-file "$work/alice.password" --bootstrap-server "$bootstrap" "${admin[@]}"
cli_bg acl-topic acls add --allow-principal User:alice --operation Write --operation Read --topic "$topic" \
  --bootstrap-server "$bootstrap" "${admin[@]}"
cli_bg acl-group acls add --allow-principal User:alice --operation Read --group "$group" \
  --bootstrap-server "$bootstrap" "${admin[@]}"
cli_bg plaintext topics list --bootstrap-server "$bootstrap"     # a refusal, needs nothing of the above
cli_wait
cli_ok create "admin: topics create $topic"
cli_ok user "admin: users add alice"
cli_ok acl-topic "admin: acls add (topic)"
cli_ok acl-group "admin: acls add (group)"
wait_for "topic $topic with RF=3 and a full ISR" isr_full "${admin[@]}"
ok "admin (mutual TLS, User:admin): topic $topic created, 3 partitions, RF=3, ISR full (nodes replicate over mutual TLS)"
acl_on_node() { # PORT
  local out
  out="$(brook acls list --principal User:alice --bootstrap-server "127.0.0.1:$1" "${admin[@]}" 2>/dev/null)" || return 1
  grep -q "TOPIC *$topic .*WRITE" <<<"$out" && grep -q "TOPIC *$topic .*READ" <<<"$out" \
    && grep -q "GROUP *$group .*READ" <<<"$out"
}
acl_on_every_node() {
  local p rc=0 pids=()
  for p in "$BROOK1_PORT" "$BROOK2_PORT" "$BROOK3_PORT"; do acl_on_node "$p" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  return "$rc"
}
wait_for "alice's ACLs on every node" acl_on_every_node
ok "admin: SCRAM user alice and ACLs (Write, Read on topic $topic; Read on group $group), seen by every node"

# --- refusals ----------------------------------------------------------------------------------
step="refusals"
cli_bg anonymous produce "$topic" --bootstrap-server "$bootstrap" --command-config "$anon_cfg"
cli_bg wrong topics list --bootstrap-server "$bootstrap" --command-config "$wrong_cfg"
cli_wait
cli_refused plaintext "plaintext client on a TLS port" "speaks TLS and this client plaintext"
ok "a plaintext client is refused by the TLS port"
# The producer's metadata request is refused first (Describe), as in Kafka.
cli_refused anonymous "anonymous TLS client producing" "User:ANONYMOUS is not authorized to [A-Za-z]+ Topic:$topic \[TOPIC_AUTHORIZATION_FAILED\]"
ok "an anonymous TLS client (CA only) may not produce (TOPIC_AUTHORIZATION_FAILED)"
cli_refused wrong "wrong password" "[Aa]uthentication failed"
ok "alice with a wrong password is refused (authentication failed)"

# --- the user --------------------------------------------------------------------------------
step="alice: produce and consume over SASL_SSL"
produce_consume s 300 --command-config "$alice_cfg"
ok "alice (SASL_SSL, SCRAM-SHA-256) produced 300 records and consumed exactly them with group $group (bootstrap $bootstrap)"

# --- Prometheus ------------------------------------------------------------------------------
step="Prometheus scraping the nodes"
wait_for "Prometheus up == 1 for all three nodes" prom_is 'sum(up{job="brook"})' -eq 3
ok "Prometheus scrapes all three nodes over plaintext HTTP (up == 1)"

step="done"
log "all checks passed; secured cluster phase (start to checks) took $((SECONDS - secure_start_s)) s"

#!/usr/bin/env python3
"""Group settle benchmark: how fast a consumer group (KIP-848 protocol) settles, Kafka beside Brook.

For one system at a time: starts a cluster on loopback (3 combined nodes), a producer writing
RATE records/s round-robin over a PARTITIONS-partition topic, and MEMBERS members of one group,
each a separate JVM printing JSON-line events (KafkaMember.java / BrookMember.java). Then:

  start  the MEMBERS members join an empty group (t0 = the first member's `start` line);
  join   one more member starts (t0 = its `start` line, i.e. after JVM start and subscribe);
  death  one of the first members is SIGKILLed (t0 = the kill).

A phase has settled when every partition is owned by exactly one live member, every live member
owns one (when there are enough partitions), the ownership has not changed for --confirm-s, and
every partition that changed owner after t0 has been consumed by its new owner (`first` line).
settle_ms = that moment - t0. max_pause_ms_others = the longest stretch without any record seen by
the members other than the one that joined or died, over gaps overlapping [t0, settled];
max_pause_ms_kept = the same per partition, for partitions that kept their owner all along.

    ./settle.py --system kafka            # or brook, or both (one after the other)
    ./settle.py --system both --rate 2000 --members 3 --partitions 6

Prints a table `system phase settle_ms max_pause_ms_others ...` and one JSON line per run; raw
member output stays in results/<timestamp>/. Only processes this script started are stopped, by PID.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
KAFKA_LIB = os.path.join(HERE, "lib")
BROOK_LIB = os.environ.get("BROOK_LIB", os.path.join(ROOT, "deploy", "target", "lib"))  # the distribution


def now_ms():
    return int(time.time() * 1000)


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def host_cpu():
    """(busy, total) jiffies of all cores, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:8]]
    return v[0] + v[1] + v[2] + v[5] + v[6], sum(v)


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


# ------------------------------------------------------------------------------------------ processes

class Proc:
    """A child process started by this script; JSON lines of its stdout are collected as events."""

    def __init__(self, name, cmd, workdir, events=None, cwd=None, env=None):
        self.name = name
        self.events = events  # list shared with the Run, or None (stdout to a file only)
        self.out = open(os.path.join(workdir, name + ".out"), "w")
        self.err = open(os.path.join(workdir, name + ".err"), "w")
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE if events is not None else self.out,
                                  stderr=self.err, cwd=cwd, env=env, start_new_session=True)
        self.spawn_ms = now_ms()
        self.reader = None
        if events is not None:
            self.reader = threading.Thread(target=self._read, daemon=True)
            self.reader.start()

    def _read(self):
        for raw in self.p.stdout:
            line = raw.decode("utf-8", "replace")
            self.out.write(line)
            self.out.flush()
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if isinstance(ev, dict) and "ev" in ev:
                ev.setdefault("member", self.name)
                with LOCK:
                    self.events.append(ev)

    def alive(self):
        return self.p.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.p.pid, sig)

    def stop(self, timeout_s=30):
        """SIGTERM, then SIGKILL after timeout_s; returns the exit code."""
        if self.alive():
            self.signal(signal.SIGTERM)
            try:
                self.p.wait(timeout_s)
            except subprocess.TimeoutExpired:
                log("%s (pid %d) still up after %ds: SIGKILL" % (self.name, self.p.pid, timeout_s))
                self.signal(signal.SIGKILL)
                self.p.wait()
        if self.reader:
            self.reader.join(5)
        self.out.close()
        self.err.close()
        return self.p.returncode


LOCK = threading.Lock()


def wait_until(what, timeout_s, cond, procs=()):
    deadline = time.time() + timeout_s
    while True:
        v = cond()
        if v:
            return v
        for p in procs:
            if not p.alive():
                raise RuntimeError("%s exited (rc %s) while waiting for %s; see %s.err" % (p.name, p.p.returncode, what,
                                                                                         p.name))
        if time.time() >= deadline:
            raise TimeoutError("%s: not after %ds" % (what, timeout_s))
        time.sleep(0.05)


def javac(src, classpath, outdir):
    os.makedirs(outdir, exist_ok=True)
    subprocess.run(["javac", "-nowarn", "-d", outdir, "-cp", classpath, src], check=True)


# ------------------------------------------------------------------------------------------ clusters

class KafkaCluster:
    """Apache Kafka (KRaft) combined broker+controller nodes from bench/groups/lib, Kafka's group defaults
    (group.consumer.heartbeat.interval.ms 5000, group.consumer.session.timeout.ms 45000)."""

    name = "kafka"

    def __init__(self, args, workdir, datadir):
        if not os.path.isdir(KAFKA_LIB) or not any(f.startswith("kafka_2.13-") for f in os.listdir(KAFKA_LIB)):
            raise RuntimeError("no Kafka jars in %s: cd bench && mvn -B -q dependency:copy-dependencies" % KAFKA_LIB)
        self.args, self.workdir, self.datadir = args, workdir, datadir
        self.cp = os.path.join(KAFKA_LIB, "*")
        self.nodes = []
        self.ports = [(free_port(), free_port()) for _ in range(args.nodes)]
        self.bootstrap = ",".join("127.0.0.1:%d" % b for b, _ in self.ports)
        self.java = args.java

    def start(self):
        voters = ",".join("%d@127.0.0.1:%d" % (i + 1, c) for i, (_, c) in enumerate(self.ports))
        rf = min(3, self.args.nodes)
        cluster_id = subprocess.run([self.java, "-cp", self.cp, "kafka.tools.StorageTool", "random-uuid"],
                                    capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        for i, (bport, cport) in enumerate(self.ports):
            nd = os.path.join(self.datadir, "kafka-node%d" % (i + 1))
            os.makedirs(nd)
            props = os.path.join(nd, "server.properties")
            with open(props, "w") as f:
                f.write("\n".join([
                    "process.roles=broker,controller", "node.id=%d" % (i + 1), "controller.quorum.voters=" + voters,
                    "listeners=PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d" % (bport, cport),
                    "advertised.listeners=PLAINTEXT://127.0.0.1:%d" % bport, "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=PLAINTEXT",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                    "log.dirs=" + os.path.join(nd, "data"), "auto.create.topics.enable=false",
                    "offsets.topic.replication.factor=%d" % rf, "default.replication.factor=%d" % rf,
                    "transaction.state.log.replication.factor=%d" % rf,
                    "share.coordinator.state.topic.replication.factor=%d" % rf,
                    "min.insync.replicas=%d" % min(2, rf), "transaction.state.log.min.isr=%d" % min(2, rf),
                    "share.coordinator.state.topic.min.isr=%d" % min(2, rf), ""]))
            subprocess.run([self.java, "-Dlog4j2.configurationFile=" + os.path.join(HERE, "log4j2.properties"),
                            "-cp", self.cp, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", props],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        for i in range(len(self.ports)):
            nd = os.path.join(self.datadir, "kafka-node%d" % (i + 1))
            cmd = [self.java] + self.args.kafka_heap.split() + [
                "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-Djava.awt.headless=true",
                "-Dlog4j2.configurationFile=" + os.path.join(HERE, "log4j2-server.properties"),
                "-cp", self.cp, "kafka.Kafka", os.path.join(nd, "server.properties")]
            self.nodes.append(Proc("kafka-node%d" % (i + 1), cmd, self.workdir))

        def ready():
            ok = 0
            for n in self.nodes:
                with open(os.path.join(self.workdir, n.name + ".out"), errors="replace") as f:
                    ok += "Kafka Server started" in f.read()
            return ok == len(self.nodes)
        wait_until("kafka nodes ready", 120, ready, self.nodes)

    def load_cmd(self, classes, topic):
        return [self.java, "-Xmx256m", "-XX:+UseSerialGC",
                "-Dlog4j2.configurationFile=" + os.path.join(HERE, "log4j2.properties"),
                "-cp", classes + os.pathsep + self.cp, "KafkaLoad", self.bootstrap, topic,
                str(self.args.partitions), str(min(3, self.args.nodes)), str(self.args.rate)]

    def member_cmd(self, classes, group, topic, name):
        return [self.java, "-Xmx256m", "-XX:+UseSerialGC",
                "-Dlog4j2.configurationFile=" + os.path.join(HERE, "log4j2.properties"),
                "-cp", classes + os.pathsep + self.cp, "KafkaMember", self.bootstrap, group, topic, name]

    def compile(self, classes):
        for src in ("KafkaMember.java", "KafkaLoad.java"):
            javac(os.path.join(HERE, src), self.cp, classes)

    def stop(self):
        for n in self.nodes:
            n.signal(signal.SIGTERM)
        for n in self.nodes:
            n.stop(60)


class BrookCluster:
    """Brook combined nodes from the distribution in deploy/target/lib (build: mvn -B -DskipTests package),
    configured like deploy/src/test/java/io/brook/it/TestCluster.java; group defaults of the controller
    (group.consumer.heartbeat.interval.ms 1000, group.consumer.session.timeout.ms 10000)."""

    name = "brook"

    def __init__(self, args, workdir, datadir):
        if not os.path.exists(os.path.join(BROOK_LIB, "brook-deploy.jar")):
            raise RuntimeError("no Brook distribution in %s: mvn -B -DskipTests package" % BROOK_LIB)
        self.args, self.workdir, self.datadir = args, workdir, datadir
        self.cp = os.path.join(BROOK_LIB, "*")
        self.java = args.java
        self.ports = [(free_port(), free_port(), free_port()) for _ in range(args.nodes)]
        self.bootstrap = ",".join("127.0.0.1:%d" % g for g, _, _ in self.ports)
        self.nodes = []

    def start(self):
        voters = ",".join("%d@127.0.0.1:%d" % (i + 1, q) for i, (_, q, _) in enumerate(self.ports))
        for i, (g, q, h) in enumerate(self.ports):
            nd = os.path.join(self.datadir, "brook-node%d" % (i + 1))
            os.makedirs(nd)
            props = os.path.join(nd, "node.properties")
            with open(props, "w") as f:
                f.write("\n".join([
                    "node.id=%d" % (i + 1), "data.dir=" + os.path.join(nd, "data"),
                    "listen.host=127.0.0.1", "advertised.host=127.0.0.1",
                    "grpc.port=%d" % g, "quorum.port=%d" % q, "http.port=%d" % h,
                    "controller.quorum.voters=" + voters, "controller.endpoints=" + self.bootstrap,
                    "default.replication.factor=%d" % min(3, self.args.nodes), ""]))
            env = {k: v for k, v in os.environ.items() if not k.startswith("BROOK_")}
            cmd = [self.java] + self.args.brook_heap.split() + [
                "-cp", self.cp, "io.brook.launcher.Brook", "server", "--config", props]
            self.nodes.append(Proc("brook-node%d" % (i + 1), cmd, self.workdir, cwd=nd, env=env))

        def ready():
            for _, _, h in self.ports:
                try:
                    with urllib.request.urlopen("http://127.0.0.1:%d/ready" % h, timeout=1) as r:
                        if r.status != 200:
                            return False
                except OSError:
                    return False
            return True
        wait_until("brook nodes ready", 120, ready, self.nodes)

    def load_cmd(self, classes, topic):
        return [self.java, "-Xmx256m", "-XX:+UseSerialGC", "-cp", classes + os.pathsep + self.cp, "BrookLoad",
                self.bootstrap, topic, str(self.args.partitions), str(min(3, self.args.nodes)), str(self.args.rate)]

    def member_cmd(self, classes, group, topic, name):
        return [self.java, "-Xmx256m", "-XX:+UseSerialGC", "-cp", classes + os.pathsep + self.cp, "BrookMember",
                self.bootstrap, group, topic, name]

    def compile(self, classes):
        for src in ("BrookMember.java", "BrookLoad.java"):
            javac(os.path.join(HERE, src), self.cp, classes)

    def stop(self):
        for n in self.nodes:
            n.signal(signal.SIGTERM)
        for n in self.nodes:
            n.stop(60)


# ------------------------------------------------------------------------------------------ analysis

def ownership(events, t_end, dead):
    """Per live member, the partitions owned at t_end (last `owned` field of its assignment events),
    plus the time of the last ownership change at or before t_end."""
    owned, last_change = {}, 0
    for ev in events:
        if ev["ts"] > t_end or ev["ev"] not in ("assigned", "revoked", "lost"):
            continue
        new = set(ev["owned"])
        if owned.get(ev["member"], set()) != new:
            last_change = max(last_change, ev["ts"])
        owned[ev["member"]] = new
    for m in dead:
        owned.pop(m, None)
    return owned, last_change


def acquired_at(events, member, p):
    """When p last entered the member's owned set (from the `owned` field, so listeners that report
    the whole assignment on every callback count the same as incremental ones); 0 if never."""
    had, since = False, 0
    for e in events:
        if e["member"] == member and e["ev"] in ("assigned", "revoked", "lost"):
            has = p in e["owned"]
            if has and not had:
                since = e["ts"]
            had = has
    return since


def settle_point(events, t0, live, dead, partitions, confirm_ms, now):
    """The settle time (ms, wall clock) of a phase that started at t0, or None while unsettled."""
    owned, last_change = ownership(events, now, dead)
    owners = {}
    for m, ps in owned.items():
        for p in ps:
            owners.setdefault(p, []).append(m)
    if sorted(owners) != list(range(partitions)) or any(len(o) != 1 for o in owners.values()):
        return None
    if len(live) <= partitions and any(not owned.get(m) for m in live):
        return None
    if now - last_change < confirm_ms:
        return None
    t = max(t0, last_change)
    for p, (m,) in owners.items():
        ta = acquired_at(events, m, p)
        if ta < t0:
            continue  # same owner since before the phase
        first = [e["ts"] for e in events if e["member"] == m and e["ev"] == "first" and e["p"] == p and e["ts"] >= ta]
        if not first:
            return None
        t = max(t, min(first))
    return t


def gaps_of(events, member, t0, t1, now):
    """Longest stretch (ms) without any record seen by a member that overlaps [t0, t1]: from its `gap`
    lines and per-tick longest gaps, or a gap still open now (no record since before t1)."""
    best = 0
    last_any = 0
    for e in events:
        if e["member"] != member:
            continue
        if e["ev"] == "gap":
            f, to = e["from"], e["to"]
        elif e["ev"] == "tick":
            last_any = e["last_any"]
            f, to = e.get("gap_from", 0), e.get("gap_to", 0)
        else:
            continue
        if to > 0 and to >= t0 and f <= t1:
            best = max(best, to - f)
    if 0 < last_any < t1:
        best = max(best, now - last_any)
    return best


def kept_partition_pause(events, t0, t1, members, dead):
    """Longest per-partition gap overlapping [t0, t1] among partitions whose owner did not change."""
    before, _ = ownership(events, t0, dead)
    after, _ = ownership(events, t1, dead)
    kept = [(m, p) for m in members for p in before.get(m, set()) & after.get(m, set())
            if not any(e["member"] == m and e["ev"] in ("revoked", "lost") and p in e["partitions"]
                       and t0 <= e["ts"] <= t1 for e in events)]
    best = 0
    for e in events:
        if e["ev"] == "pgap" and (e["member"], e["p"]) in kept and e["to"] >= t0 and e["from"] <= t1:
            best = max(best, e["to"] - e["from"])
    return best, len(kept)


# ------------------------------------------------------------------------------------------ one system

class Run:
    def __init__(self, cluster, args, workdir):
        self.cluster, self.args, self.workdir = cluster, args, workdir
        self.events = []
        self.members = {}
        self.dead = set()
        self.load = None
        self.group = "settle-%s-%s" % (cluster.name, uuid.uuid4().hex[:8])
        self.topic = "settle-%s" % cluster.name
        self.classes = os.path.join(workdir, "classes-" + cluster.name)

    def snapshot(self):
        with LOCK:
            return sorted(self.events, key=lambda e: e["ts"])

    def start_member(self, name):
        self.members[name] = Proc(name, self.cluster.member_cmd(self.classes, self.group, self.topic, name),
                                  self.workdir, self.events)
        return self.members[name]

    def member_start_ts(self, name):
        return wait_until(name + " start", 60, lambda: next(
            (e["ts"] for e in self.snapshot() if e["member"] == name and e["ev"] == "start"), None),
            [self.members[name]])

    def await_settled(self, phase, t0, subject, cpu0):
        live = [m for m in self.members if m not in self.dead]
        procs = [self.members[m] for m in live] + [self.load] + self.cluster.nodes
        timeout = self.args.settle_timeout_s

        def check():
            return settle_point(self.snapshot(), t0, live, self.dead, self.args.partitions,
                                self.args.confirm_s * 1000, now_ms())
        t1 = wait_until("%s %s settled" % (self.cluster.name, phase), timeout, check, procs)
        evs = self.snapshot()
        others = [m for m in live if m != subject]
        pauses = {m: gaps_of(evs, m, t0, t1, now_ms()) for m in others}
        kept, nkept = kept_partition_pause(evs, t0, t1, others, self.dead)
        owned, _ = ownership(evs, t1, self.dead)
        cpu1 = host_cpu()
        busy = round(100.0 * (cpu1[0] - cpu0[0]) / max(1, cpu1[1] - cpu0[1]))
        row = {"system": self.cluster.name, "phase": phase, "settle_ms": t1 - t0,
               "max_pause_ms_others": max(pauses.values()) if pauses else 0, "max_pause_ms_kept": kept,
               "kept_partitions": nkept, "pause_ms_by_member": pauses,
               "assignment": {m: sorted(ps) for m, ps in sorted(owned.items())}, "loadavg": loadavg(), "host_busy_pct": busy}
        log("%s %s: settled after %d ms, max pause of others %d ms (kept partitions: %d ms), assignment %s"
            % (self.cluster.name, phase, row["settle_ms"], row["max_pause_ms_others"], kept, row["assignment"]))
        return row

    def run(self):
        a = self.args
        rows = []
        log("%s: compiling members" % self.cluster.name)
        self.cluster.compile(self.classes)
        log("%s: starting %d nodes" % (self.cluster.name, a.nodes))
        t = time.time()
        self.cluster.start()
        log("%s: nodes ready in %.1f s" % (self.cluster.name, time.time() - t))
        self.load = Proc("producer", self.cluster.load_cmd(self.classes, self.topic), self.workdir, self.events)
        wait_until("topic created", 120, lambda: any(e["ev"] == "topic" for e in self.snapshot()), [self.load])
        log("%s: topic %s (%d partitions) created, producing %d records/s" % (self.cluster.name, self.topic,
                                                                             a.partitions, a.rate))
        # start: MEMBERS members join the empty group
        cpu0 = host_cpu()
        for i in range(1, a.members + 1):
            self.start_member("m%d" % i)
        t0 = min(self.member_start_ts("m%d" % i) for i in range(1, a.members + 1))
        rows.append(self.await_settled("start", t0, None, cpu0))
        time.sleep(a.steady_s)
        # join: one more member
        joiner = "m%d" % (a.members + 1)
        cpu0 = host_cpu()
        self.start_member(joiner)
        t0 = self.member_start_ts(joiner)
        log("%s: %s started (%d ms after spawn, JVM start + subscribe)" % (
            self.cluster.name, joiner, t0 - self.members[joiner].spawn_ms))
        rows.append(self.await_settled("join", t0, joiner, cpu0))
        time.sleep(a.steady_s)
        # death: SIGKILL the first member (it owns partitions: checked by the settle condition above)
        victim = "m1"
        cpu0 = host_cpu()
        t0 = now_ms()
        self.members[victim].signal(signal.SIGKILL)
        self.dead.add(victim)
        self.members[victim].p.wait()
        log("%s: %s SIGKILLed" % (self.cluster.name, victim))
        rows.append(self.await_settled("death", t0, victim, cpu0))
        sent = [e for e in self.snapshot() if e["member"] == "producer" and e["ev"] == "tick"]
        if sent:
            last = sent[-1]
            log("%s: producer sent %d, acked %d, errors %d" % (self.cluster.name, last["sent"], last["acked"],
                                                               last["errors"]))
        return rows

    def stop(self):
        for name, p in self.members.items():
            if name not in self.dead:
                p.signal(signal.SIGTERM)
        for p in self.members.values():
            p.stop(30)
        if self.load:
            self.load.stop(30)
        self.cluster.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--system", choices=["kafka", "brook", "both"], default="both")
    ap.add_argument("--nodes", type=int, default=3, help="combined broker+controller nodes (default 3, RF 3)")
    ap.add_argument("--members", type=int, default=3, help="members before the join (default 3)")
    ap.add_argument("--partitions", type=int, default=6)
    ap.add_argument("--rate", type=int, default=2000, help="records/s produced (default 2000)")
    ap.add_argument("--steady-s", type=float, default=5, help="pause between phases (default 5)")
    ap.add_argument("--confirm-s", type=float, default=3,
                    help="ownership must stay unchanged this long to count as settled (default 3)")
    ap.add_argument("--settle-timeout-s", type=int, default=180)
    ap.add_argument("--java", default=os.environ.get("JAVA", "java"))
    ap.add_argument("--kafka-heap", default="-Xms512m -Xmx512m")
    ap.add_argument("--brook-heap", default="-Xms64m -Xmx384m -XX:+UseSerialGC")
    ap.add_argument("--keep", action="store_true", help="keep the nodes' data directories")
    args = ap.parse_args()

    def on_term(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)
    signal.signal(signal.SIGTERM, on_term)  # stop what was started (finally below), then exit

    stamp = time.strftime("%Y%m%d-%H%M%S")
    results = os.path.join(HERE, "results", stamp)
    os.makedirs(results)
    systems = ["kafka", "brook"] if args.system == "both" else [args.system]
    rows, failures = [], []
    log("results in %s; load average %s; %d cores" % (results, loadavg(), os.cpu_count()))
    for name in systems:
        workdir = tempfile.mkdtemp(prefix="brook-bench-groups-%s." % name)
        outdir = os.path.join(results, name)
        os.makedirs(outdir)
        run = None
        try:
            # node data under /tmp (deleted at the end), node logs and member output under results/
            cluster = (KafkaCluster if name == "kafka" else BrookCluster)(args, outdir, workdir)
            run = Run(cluster, args, outdir)
            rows += run.run()
        except (RuntimeError, TimeoutError, subprocess.CalledProcessError) as e:
            log("%s: FAILED: %s" % (name, e))
            failures.append({"system": name, "error": str(e)})
        finally:
            if run:
                run.stop()
            if args.keep:
                log("%s: data kept in %s" % (name, workdir))
            else:
                shutil.rmtree(workdir, ignore_errors=True)

    lines = ["%-6s %-6s %9s %20s %18s %6s %s" % ("system", "phase", "settle_ms", "max_pause_ms_others",
                                                  "max_pause_ms_kept", "host%", "assignment after")]
    for r in rows:
        lines.append("%-6s %-6s %9d %20d %18d %6d %s" % (
            r["system"], r["phase"], r["settle_ms"], r["max_pause_ms_others"], r["max_pause_ms_kept"],
            r["host_busy_pct"], json.dumps(r["assignment"])))
    summary = {"ts": stamp, "cores": os.cpu_count(), "nodes": args.nodes, "members": args.members,
               "partitions": args.partitions, "rate": args.rate, "rows": rows, "failures": failures}
    text = "\n".join(lines) + "\n" + json.dumps(summary) + "\n"
    with open(os.path.join(results, "summary.txt"), "w") as f:
        f.write(text)
    sys.stdout.write(text)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Helper of bench/compare.sh.

  report.py parse brook|kafka produce|consume|e2e FILE
      reads one perf tool's stdout and prints normalised "key<TAB>value" lines:
      records, rps, mbps (produce/consume), fetch_rps (consume), avg_us p50_us p99_us p999_us (e2e).
      Brook tools: the final --json line. Kafka tools: their human/CSV summary lines.
      Exit 1 (and nothing printed) when the summary is missing.
  report.py table RESULTS_DIR
      reads RESULTS_DIR/metrics.tsv (system<TAB>key<TAB>value) and prints the comparison table.
"""
import json
import math
import re
import sys


def parse_brook(tool, text):
    line = next((l for l in reversed(text.splitlines()) if l.strip().startswith("{")), None)
    if line is None:
        return None
    j = json.loads(line)
    out = {"records": j.get("records")}
    if tool in ("produce", "consume"):
        out["rps"] = j["records_per_sec"]
        out["mbps"] = j["mb_per_sec"]
        if tool == "consume":
            out["fetch_rps"] = j.get("fetch_records_per_sec")
    else:
        for k in ("avg_us", "p50_us", "p99_us", "p999_us"):
            out[k] = j[k]
    return out


def parse_kafka(tool, text):
    if tool == "produce":
        # N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency, ...
        m = None
        for m in re.finditer(r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\)", text):
            pass
        if m is None:
            return None
        return {"records": int(m.group(1)), "rps": float(m.group(2)), "mbps": float(m.group(3))}
    if tool == "consume":
        # start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
        # rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
        rows = [l for l in text.splitlines() if re.match(r"^\d{4}-", l)]
        if not rows:
            return None
        f = [x.strip() for x in rows[-1].split(",")]
        return {"records": int(f[4]), "rps": float(f[5]), "mbps": float(f[3]), "fetch_rps": float(f[9])}
    # EndToEndLatency: "Avg latency: 1.4123 ms" and "Percentiles: 50th = 1, 99th = 7, 99.9th = 14"
    # (percentiles are whole milliseconds, truncated); converted to microseconds here.
    a = re.search(r"Avg latency: ([\d.]+) ms", text)
    p = re.search(r"Percentiles: 50th = (\d+), 99th = (\d+), 99\.9th = (\d+)", text)
    if not a or not p:
        return None
    return {"avg_us": float(a.group(1)) * 1000, "p50_us": int(p.group(1)) * 1000,
            "p99_us": int(p.group(2)) * 1000, "p999_us": int(p.group(3)) * 1000}


def cmd_parse(system, tool, path):
    with open(path, errors="replace") as fh:
        text = fh.read()
    try:
        out = parse_brook(tool, text) if system == "brook" else parse_kafka(tool, text)
    except (ValueError, KeyError, IndexError):
        out = None
    if not out:
        return 1
    for k, v in out.items():
        if v is not None:
            print(f"{k}\t{v}")
    return 0


# ------------------------------------------------------------------ table
THROUGHPUT = [  # phase key, label, records env
    ("p1_2014", "produce RF=1 acks=1, 2014 settings"),
    ("p1_def", "produce RF=1 acks=1, tool defaults"),
    ("c1", "consume RF=1 (whole run)"),
    ("p3_acks1", "produce RF=3 acks=1, 2014 settings"),
    ("p3_all", "produce RF=3 acks=all, 2014 settings"),
    ("c3", "consume RF=3 (whole run)"),
]
E2E = [("e1", "1 node"), ("e3", "3 nodes RF=3")]


def num(x):
    try:
        v = float(x)
        return v if math.isfinite(v) else None
    except (TypeError, ValueError):
        return None


def fmt(v, unit):
    if v is None:
        return "-"
    if unit in ("rec/s",):
        return f"{v:,.0f}"
    if unit in ("us", "ms", "KiB", "B"):
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.1f}"
    return f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"


def cmd_table(res):
    m = {}
    with open(f"{res}/metrics.tsv") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 3:
                m.setdefault(parts[0], {})[parts[1]] = parts[2]
    systems = [s for s in ("brook", "kafka") if s in m]

    def get(sysname, key):
        return num(m.get(sysname, {}).get(key))

    def per_m(sysname, phase, what):
        cpu, rec = get(sysname, f"{phase}.{what}"), get(sysname, f"{phase}.records")
        return cpu / (rec / 1e6) if cpu is not None and rec else None

    rows = []  # (section or None, label, unit, brook, kafka, better, phase)

    def row(label, unit, better, phase, f):
        rows.append((label, unit, f("brook"), f("kafka"), better, phase))

    rows.append(("#throughput (records/s as printed by each tool; 100-byte records, 6 partitions)",))
    for ph, label in THROUGHPUT:
        row(label, "rec/s", "higher", ph, lambda s, ph=ph: get(s, f"{ph}.rps"))
        if ph.startswith("c"):
            row("  fetch only (excl. group join)", "rec/s", "higher", ph, lambda s, ph=ph: get(s, f"{ph}.fetch_rps"))
    rows.append(("#end-to-end latency (sequential acks=all round trips, 1 partition)",))
    for ph, label in E2E:
        for k, name in (("avg_us", "avg"), ("p50_us", "p50"), ("p99_us", "p99"), ("p999_us", "p99.9")):
            row(f"e2e {name}, {label}", "us", "lower", ph, lambda s, ph=ph, k=k: get(s, f"{ph}.{k}"))
    rows.append(("#resources",))
    row("startup, exec -> ready (1 node)", "ms", "lower", "startup", lambda s: get(s, "startup_ms"))
    row("disk .log bytes per record (RF=1)", "B", "lower", "p1_2014", lambda s: get(s, "disk.bytes_per_record"))
    row("peak RSS of the node, 1 node (VmHWM)", "MiB", "lower", None,
        lambda s: (get(s, "rss1_kb") or 0) / 1024 or None)
    row("peak RSS per node, 3 nodes (max)", "MiB", "lower", None,
        lambda s: (get(s, "rss3_kb") or 0) / 1024 or None)
    rows.append(("#CPU seconds per million records (node = all node JVMs; client = the perf tool JVM)",))
    for ph, label in THROUGHPUT:
        row(f"node CPU, {label}", "cpu-s/M", "lower", ph, lambda s, ph=ph: per_m(s, ph, "node_cpu_s"))
        row(f"client CPU, {label}", "cpu-s/M", "lower", ph, lambda s, ph=ph: per_m(s, ph, "client_cpu_s"))

    def quiet(ph):
        if ph is None:
            return ""
        out, bad = [], False
        for s in systems:
            b = m.get(s, {}).get(f"{ph}.busy")
            q = m.get(s, {}).get(f"{ph}.quiet")
            if b is None:
                continue
            out.append(f"{s[0].upper()}{b}%")
            bad = bad or q == "0"
        if not out:
            return ""
        return ("NOT QUIET " if bad else "") + " ".join(out)

    def failed(s, ph):
        return ph is not None and m.get(s, {}).get(f"{ph}.ok") == "0"

    w = 50
    hdr = f"{'metric':<{w}} {'unit':>8} {'Brook':>12} {'Kafka':>12} {'Brook/Kafka':>11}  {'better':<6}  quiet before (busy%)"
    lines = [hdr, "-" * len(hdr)]
    notquiet = []
    for r in rows:
        if len(r) == 1:
            lines.append(r[0][1:])
            continue
        label, unit, b, k, better, ph = r
        bs = "FAILED" if failed("brook", ph) else fmt(b, unit)
        ks = "FAILED" if failed("kafka", ph) else fmt(k, unit)
        ok = not (failed("brook", ph) or failed("kafka", ph))
        ratio = f"{b / k:.2f}" if ok and b is not None and k else "-"
        q = quiet(ph)
        if q.startswith("NOT QUIET") and ph not in notquiet:
            notquiet.append(ph)
        lines.append(f"{label:<{w}} {unit:>8} {bs:>12} {ks:>12} {ratio:>11}  {better:<6}  {q}")
    print("\n".join(lines))
    print()
    print("Brook/Kafka: >1 is better for Brook where 'better' = higher (throughput); <1 is better")
    print("for Brook where 'better' = lower (latency, startup, bytes/record, RSS, CPU per record).")
    print("Kafka's EndToEndLatency prints whole-ms percentiles (truncated): Kafka p50/p99/p99.9 are")
    print("multiples of 1000 us and the true value lies in [v, v+1000) us; its avg is exact. A ratio")
    print("over a Kafka value of 0 is '-'.")
    print("quiet before = host CPU busy over 1 s just before the phase started (B = Brook run, K = Kafka")
    print("run); NOT QUIET = still above the limit after the wait, so that row may be disturbed.")
    if notquiet:
        print(f"WARNING: phases not started on a quiet machine: {', '.join(notquiet)}")
    other = []
    for s in systems:
        for ph, label in THROUGHPUT + E2E:
            o, w_ = get(s, f"{ph}.other_cpu_s"), get(s, f"{ph}.wall_s")
            if o is not None and w_:
                pct = 100 * o / w_
                if pct >= 10:
                    other.append(f"{s} {ph} {pct:.0f}%")
    if other:
        print("WARNING: CPU used by other processes during a phase (100% = one core): " + ", ".join(other))
    return 0


def main(argv):
    if len(argv) == 5 and argv[1] == "parse":
        return cmd_parse(argv[2], argv[3], argv[4])
    if len(argv) == 3 and argv[1] == "table":
        return cmd_table(argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

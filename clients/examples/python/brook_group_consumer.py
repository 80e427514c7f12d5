#!/usr/bin/env python3
"""A Brook consumer-group member in Python, on stubs generated from proto/ (./generate.sh first).

    brook_group_consumer.py --bootstrap-server H:P [--command-config FILE] GROUP TOPIC [TOPIC...] [--from-beginning]
                            [--max N] [--duration-s S]

KIP-848 model (proto/src/main/proto/brook/v1/groups.proto): the member only heartbeats, with its
subscription and the partitions it owns; the coordinator answers with the complete assignment.
A partition missing from the answer is revoked: its offset is committed, it is dropped and the
next heartbeat goes out at once. Owned partitions are fetched (RECORD_FORMAT_RECORDS) from the
committed offset (OffsetFetch; none: the log end, or the start with --from-beginning, as Kafka's
auto.offset.reset), each record printed as `partition offset value`.
Offsets are committed every second and on exit; the member leaves (epoch -1) at the end or on
SIGTERM. UNKNOWN_MEMBER_ID / FENCED_MEMBER_EPOCH: drop everything without committing and rejoin
(epoch 0); retriable errors are retried. Exit status 0, or 1 with `error: CODE: message` on stderr
(2: a usage error, or an inconsistent --command-config file). --command-config FILE: the client
security properties brook_example.py reads (TLS, a SCRAM user; README.md, Security).
"""

import argparse
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from brook_example import Brook, BrookError, ConfigError, broker_pb2, security_from  # noqa: E402  (also puts generated/ on the path)

try:
    from brook.v1 import groups_pb2 as g, groups_pb2_grpc
except ImportError as e:
    sys.exit("error: generated stubs not found (%s): run ./generate.sh first" % e)

RETRIABLE = {"gRPC UNAVAILABLE", "gRPC DEADLINE_EXCEEDED", "NOT_CONTROLLER", "REQUEST_TIMED_OUT", "NOT_COORDINATOR",
             "COORDINATOR_NOT_AVAILABLE", "COORDINATOR_LOAD_IN_PROGRESS", "LEADER_NOT_AVAILABLE",
             "NOT_LEADER_OR_FOLLOWER", "STALE_MEMBER_EPOCH"}
FENCED = {"UNKNOWN_MEMBER_ID", "FENCED_MEMBER_EPOCH"}


class Member:
    def __init__(self, brook, group, topics):
        self.brook, self.group, self.topics = brook, group, topics
        self.member_id, self.epoch = "", 0
        self.ids = {}          # topic -> topic id, from assignments
        self.positions = {}    # (topic, partition) owned -> next offset to fetch
        self.committed = {}    # (topic, partition) -> last offset committed
        self.leaders = {}      # (topic, partition) -> leader address
        self.next_hb = 0.0
        self.reset = broker_pb2.OFFSET_SPEC_LATEST  # where a partition without a committed offset starts

    def groups(self, call):
        return self.brook.any_broker(lambda a: call(groups_pb2_grpc.GroupServiceStub(self.brook.channel(a))))

    def heartbeat(self, epoch=None):
        owned = {}
        for t, p in self.positions:
            owned.setdefault(t, []).append(p)
        req = g.ConsumerGroupHeartbeatRequest(
            group_id=self.group, member_id=self.member_id, member_epoch=self.epoch if epoch is None else epoch,
            client_id="brook-python", subscribed_topic_names=self.topics,
            owned_partitions=[g.GroupTopicPartitions(topic=t, topic_id=self.ids.get(t, ""), partitions=sorted(ps))
                              for t, ps in sorted(owned.items())])
        resp = self.groups(lambda s: s.ConsumerGroupHeartbeat(req, timeout=self.brook.timeout_s))
        if epoch is not None:
            return
        self.member_id, self.epoch = resp.member_id, resp.member_epoch
        self.next_hb = time.monotonic() + resp.heartbeat_interval_ms / 1000.0
        target = set()
        for a in resp.assignment:
            self.ids[a.topic] = a.topic_id
            target.update((a.topic, p) for p in a.partitions)
        revoked = [tp for tp in self.positions if tp not in target]
        if revoked:  # commit, stop fetching, and acknowledge at once
            self.commit(revoked)
            for tp in revoked:
                del self.positions[tp]
            self.next_hb = 0.0
        added = [tp for tp in sorted(target) if tp not in self.positions]
        if added:
            self.start_positions(added)

    def start_positions(self, tps):
        req = g.OffsetFetchRequest(group_id=self.group, topics=sorted({t for t, _ in tps}))
        offsets = self.groups(lambda s: s.OffsetFetch(req, timeout=self.brook.timeout_s)).offsets
        found = {(o.topic, o.partition): o.offset for o in offsets}
        for tp in tps:
            if tp in found:
                self.positions[tp] = self.committed[tp] = found[tp]
            else:
                self.positions[tp] = self.list_offset(tp, self.reset)

    def leader(self, tp, refresh=False):
        if refresh or self.leaders.get(tp) is None:
            for p, address in self.brook.topic_metadata(tp[0]).items():
                self.leaders[(tp[0], p)] = address
        if self.leaders.get(tp) is None:
            raise BrookError("LEADER_NOT_AVAILABLE", "%s-%d has no leader" % tp, retriable=True)
        return self.leaders[tp]

    def list_offset(self, tp, spec):
        req = broker_pb2.ListOffsetsRequest(topic=tp[0], partition=tp[1], spec=spec)
        resp, self.leaders[tp] = self.brook.on_leader(
            self.leader(tp), lambda a: self.brook.broker(a).ListOffsets(req, timeout=self.brook.timeout_s))
        return resp.offset

    def fetch(self, tp, max_wait_ms, limit=None):
        """Fetches one owned partition and prints at most `limit` records; returns how many."""
        req = broker_pb2.FetchRequest(topic=tp[0], partition=tp[1], offset=self.positions[tp], max_wait_ms=max_wait_ms,
                                      format=broker_pb2.RECORD_FORMAT_RECORDS)
        try:
            resp, self.leaders[tp] = self.brook.on_leader(self.leader(tp), lambda a: self.brook.broker(a).Fetch(
                req, timeout=self.brook.timeout_s + max_wait_ms / 1000.0))
        except BrookError as e:
            if e.code == "OFFSET_OUT_OF_RANGE":
                self.positions[tp] = self.list_offset(tp, broker_pb2.OFFSET_SPEC_EARLIEST)
                return 0
            self.leaders.pop(tp, None)  # look the leader up again next time
            raise
        records = resp.records if limit is None else resp.records[:limit]
        for r in records:
            value = r.value.decode("utf-8", "backslashreplace") if r.HasField("value") else "null"
            print("%d %d %s" % (tp[1], r.offset, value), flush=True)
        if len(records) < len(resp.records):
            self.positions[tp] = records[-1].offset + 1 if records else self.positions[tp]
        else:
            self.positions[tp] = max(self.positions[tp], resp.next_offset)
        return len(records)

    def commit(self, tps=None):
        parts = [g.OffsetCommitPartition(topic=t, partition=p, offset=self.positions[(t, p)], leader_epoch=-1)
                 for t, p in (tps if tps is not None else list(self.positions))
                 if self.committed.get((t, p)) != self.positions[(t, p)]]
        if not parts or not self.member_id:
            return
        req = g.OffsetCommitRequest(group_id=self.group, member_id=self.member_id, member_epoch=self.epoch,
                                    partitions=parts)
        self.groups(lambda s: s.OffsetCommit(req, timeout=self.brook.timeout_s))
        for c in parts:
            self.committed[(c.topic, c.partition)] = c.offset

    def fenced(self, code):
        """Drops every partition without committing; rejoins with epoch 0 (a new id if unknown)."""
        self.positions.clear()
        self.committed.clear()
        self.epoch, self.next_hb = 0, 0.0
        if code == "UNKNOWN_MEMBER_ID":
            self.member_id = ""


def run(args, security):
    brook = Brook(args.bootstrap_server, args.request_timeout_ms / 1000.0, security)
    member = Member(brook, args.group, args.topics)
    if args.from_beginning:
        member.reset = broker_pb2.OFFSET_SPEC_EARLIEST
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    signal.signal(signal.SIGINT, lambda *_: stop.append(True))  # Ctrl-C: commit and leave too
    deadline = time.monotonic() + args.duration_s if args.duration_s else None
    count, next_commit, backoff = 0, time.monotonic() + 1, 0.1
    try:
        while not stop and (args.max is None or count < args.max) and (deadline is None or time.monotonic() < deadline):
            try:
                if time.monotonic() >= member.next_hb:
                    member.heartbeat()
                for tp in list(member.positions):
                    if time.monotonic() >= member.next_hb or stop:
                        break
                    count += member.fetch(tp, 100 if len(member.positions) < 5 else 20,
                                          None if args.max is None else args.max - count)
                    if args.max is not None and count >= args.max:
                        break
                if not member.positions:
                    time.sleep(min(0.1, max(0.0, member.next_hb - time.monotonic())))
                if time.monotonic() >= next_commit:
                    member.commit()
                    next_commit = time.monotonic() + 1
                backoff = 0.1
            except BrookError as e:
                if e.code in FENCED:
                    print("rejoining: %s" % e.line(), file=sys.stderr)
                    member.fenced(e.code)
                elif e.code in RETRIABLE or e.retriable:
                    if e.code == "STALE_MEMBER_EPOCH":
                        member.next_hb = 0.0
                    time.sleep(backoff)
                    backoff = min(backoff * 2, 2.0)
                else:
                    raise
    finally:
        try:
            if member.member_id and member.epoch > 0:
                member.commit()
                member.heartbeat(epoch=-1)  # leave: the coordinator reassigns at once
        except BrookError as e:
            print("while leaving: %s" % e.line(), file=sys.stderr)
        brook.close()
    print("Consumed %d record(s)" % count, file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description="A Brook consumer-group member (KIP-848 heartbeats).")
    ap.add_argument("group")
    ap.add_argument("topics", nargs="+", metavar="TOPIC")
    ap.add_argument("--bootstrap-server", default=os.environ.get("BROOK_BOOTSTRAP_SERVER", "localhost:9092"))
    ap.add_argument("--max", "--max-messages", dest="max", type=int, metavar="N", help="stop after N records")
    ap.add_argument("--duration-s", type=float, help="stop after this many seconds")
    ap.add_argument("--from-beginning", action="store_true",
                    help="partitions the group has no offset for start at the log start (default: the end)")
    ap.add_argument("--request-timeout-ms", type=int, default=30000)
    ap.add_argument("--command-config", metavar="FILE",
                    help="client security properties (security.protocol, ssl.*, sasl.*), as brook_example.py")
    args = ap.parse_args()
    try:
        security = security_from(args.command_config)
    except ConfigError as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    try:
        run(args, security)
        return 0
    except BrookError as e:
        print(security.explain(e).line(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A small Brook client in Python, on stubs generated from proto/ (see README.md).

Produces and consumes plain `Record`s (no batch codec needed: the broker builds batches on
produce and decodes them on fetch), creates topics with the AdminService, and turns a failed
call's gRPC status into Brook's error code by reading the `brook.common.v1.ErrorDetail` packed
in its `grpc-status-details-bin` trailer.

    brook_example.py create-topic NAME [--partitions N]
    brook_example.py produce TOPIC [--partition P] [--key K] [--header K=V]... [--idempotent] [--batch-size N] VALUE...
    brook_example.py consume TOPIC [--partition P] [--from-beginning | --offset O] [--max N]

Exit status: 0 on success, 1 on an error (one line on stderr: `error: CODE: message`),
2 on a usage error.
"""

import argparse
import os
import queue
import sys
import time

try:
    import grpc
except ImportError:
    sys.exit("error: no grpc module in %s: install python3-grpcio (Debian) and run with /usr/bin/python3"
             % sys.executable)

# The generated stubs: from PYTHONPATH if it has them, else from generated/ beside this file.
sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "generated"))
try:
    from brook.common.v1 import errors_pb2
    from brook.v1 import admin_pb2, admin_pb2_grpc, broker_pb2, broker_pb2_grpc
    import rpc_status_pb2
except ImportError as e:
    sys.exit("error: generated stubs not found (%s): run ./generate.sh first" % e)

ERROR_DETAIL_TYPE = "brook.common.v1.ErrorDetail"


class BrookError(Exception):
    """A failed call: Brook's error code (or the gRPC status name when there is no detail)."""

    def __init__(self, code, message, retriable=False, leader_hint=""):
        super().__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message
        self.retriable = retriable
        self.leader_hint = leader_hint

    @staticmethod
    def from_rpc(error):
        """Reads the ErrorDetail out of a failed call's trailers."""
        for key, value in error.trailing_metadata() or ():
            if key != "grpc-status-details-bin":
                continue
            status = rpc_status_pb2.RpcStatus.FromString(value)
            for packed in status.details:
                if packed.type_url.rsplit("/", 1)[-1] == ERROR_DETAIL_TYPE:
                    return BrookError.from_detail(errors_pb2.ErrorDetail.FromString(packed.value))
        # No Brook detail: the call never reached Brook (unreachable, deadline, ...).
        details = " ".join((error.details() or "").split())
        return BrookError("gRPC " + error.code().name, details)

    @staticmethod
    def from_detail(detail):
        try:
            name = errors_pb2.ErrorCode.Name(detail.code)
        except ValueError:  # a code newer than these stubs
            name = "ERROR_CODE_%d" % detail.code
        return BrookError(name, detail.message, detail.retriable, detail.leader_hint)

    def line(self):
        extra = []
        if self.retriable:
            extra.append("retriable")
        if self.leader_hint:
            extra.append("leader at " + self.leader_hint)
        return "error: %s: %s%s" % (self.code, self.message, " (%s)" % "; ".join(extra) if extra else "")


class Brook:
    """Channels to the bootstrap servers and to whichever brokers lead the partitions used."""

    def __init__(self, bootstrap, timeout_s):
        self.bootstrap = [a.strip() for a in bootstrap.split(",") if a.strip()]
        self.timeout_s = timeout_s
        self.channels = {}

    def channel(self, address):
        if address not in self.channels:
            self.channels[address] = grpc.insecure_channel(address)
        return self.channels[address]

    def broker(self, address):
        return broker_pb2_grpc.BrokerServiceStub(self.channel(address))

    def close(self):
        for c in self.channels.values():
            c.close()

    def any_broker(self, call):
        """call(address) on the first bootstrap server that answers."""
        last = None
        for address in self.bootstrap:
            try:
                return call(address)
            except (grpc.RpcError, BrookError) as e:
                last = BrookError.from_rpc(e) if isinstance(e, grpc.RpcError) else e
                if last.code != "gRPC UNAVAILABLE":
                    raise last
        raise last or BrookError("INVALID_REQUEST", "no bootstrap server given")

    def on_leader(self, address, call):
        """call(address); on NOT_LEADER_OR_FOLLOWER follows the leader hint. Returns (result, address)."""
        for _ in range(5):
            try:
                return call(address), address
            except grpc.RpcError as e:
                err = BrookError.from_rpc(e)
                if err.code != "NOT_LEADER_OR_FOLLOWER" or not err.leader_hint:
                    raise err
                address = err.leader_hint
        raise err

    def create_topic(self, name, partitions, replication_factor):
        req = admin_pb2.CreateTopicRequest(name=name, partitions=partitions, replication_factor=replication_factor)
        return self.any_broker(
            lambda a: admin_pb2_grpc.AdminServiceStub(self.channel(a)).CreateTopic(req, timeout=self.timeout_s)).topic

    def topic_metadata(self, topic):
        """The topic's partitions and the address of each partition's leader, via Metadata."""
        resp = self.any_broker(
            lambda a: self.broker(a).Metadata(broker_pb2.MetadataRequest(topics=[topic]), timeout=self.timeout_s))
        meta = next((t for t in resp.topics if t.name == topic), None)
        if meta is None:
            raise BrookError("UNKNOWN_TOPIC_OR_PARTITION", "topic '%s' does not exist" % topic)
        if meta.HasField("error") and meta.error.code != errors_pb2.ERROR_CODE_UNSPECIFIED:
            raise BrookError.from_detail(meta.error)
        brokers = {b.id: "%s:%d" % (b.host, b.port) for b in resp.brokers}
        leaders = {}
        for p in meta.partitions:
            leaders[p.partition] = brokers.get(p.leader)  # None: no leader right now
        return leaders


# ---------------------------------------------------------------------------------- commands

def cmd_create_topic(brook, args):
    topic = brook.create_topic(args.name, args.partitions, args.replication_factor)
    print("Created topic %s with %d partition(s)" % (topic.name, len(topic.partitions)))


def cmd_produce(brook, args):
    values = args.values if args.values else [line.rstrip("\n") for line in sys.stdin]
    headers = []
    for h in args.header:
        k, sep, v = h.partition("=")
        if not sep:
            raise BrookError("INVALID_REQUEST", "header '%s' is not KEY=VALUE" % h)
        headers.append(broker_pb2.Header(key=k, value=v.encode()))
    records = []
    for v in values:
        key = args.key
        if args.key_separator and args.key_separator in v:
            key, v = v.split(args.key_separator, 1)
        record = broker_pb2.Record(value=v.encode(), headers=headers)
        if key is not None:
            record.key = key.encode()
        records.append(record)
    producer = None
    if args.idempotent:
        if args.partition < 0:
            raise BrookError("INVALID_REQUEST", "--idempotent needs --partition: sequence numbers are per partition")
        producer = brook.any_broker(
            lambda a: brook.broker(a).InitProducerId(broker_pb2.InitProducerIdRequest(), timeout=brook.timeout_s))
    batch_size = args.batch_size or max(len(records), 1)
    sequence, address = 0, None
    for i in range(0, len(records), batch_size):
        chunk = records[i:i + batch_size]
        req = broker_pb2.ProduceRequest(topic=args.topic, partition=args.partition, acks=ACKS[args.acks],
                                        compression=COMPRESSION[args.compression],
                                        records=broker_pb2.RecordList(records=chunk))
        if producer is not None:
            # The idempotent producer: the broker answers a retry of an appended request with the
            # original offsets and appends nothing, so a request whose answer was lost is resent as is.
            req.producer_id, req.producer_epoch, req.base_sequence = \
                producer.producer_id, producer.producer_epoch, sequence
            sequence += len(chunk)
        resp, address = send_produce(brook, req, address, args.retries if producer is not None else 0)
        print("Produced %d record(s) to %s-%d at base offset %d" % (len(chunk), resp.topic, resp.partition,
                                                                      resp.base_offset), flush=True)


def send_produce(brook, req, address, retries):
    """Sends req (to address, else a bootstrap server), following leader hints; resends it unchanged
    after a retriable failure, at most `retries` times. Returns (response, the leader's address)."""
    attempt = 0
    while True:
        try:
            def on(a):
                return brook.on_leader(a, lambda b: brook.broker(b).Produce(req, timeout=brook.timeout_s))
            return on(address) if address else brook.any_broker(on)
        except (grpc.RpcError, BrookError) as e:
            err = BrookError.from_rpc(e) if isinstance(e, grpc.RpcError) else e
            retriable = err.retriable or err.code in ("gRPC UNAVAILABLE", "gRPC DEADLINE_EXCEEDED")
            if not retriable or attempt >= retries:
                raise err
            attempt += 1
            print("retrying after %s: %s" % (err.code, err.message), file=sys.stderr, flush=True)
            time.sleep(0.1 * attempt)


def cmd_consume(brook, args):
    leaders = brook.topic_metadata(args.topic)
    if args.partition is not None:
        if args.partition not in leaders:
            raise BrookError("UNKNOWN_TOPIC_OR_PARTITION", "topic '%s' has %d partition(s), no partition %d"
                             % (args.topic, len(leaders), args.partition))
        leaders = {args.partition: leaders[args.partition]}
    for p, address in leaders.items():
        if address is None:
            raise BrookError("LEADER_NOT_AVAILABLE", "partition %s-%d has no leader right now" % (args.topic, p),
                             retriable=True)

    # Where to start, per partition: ListOffsets on its leader (or the given offset).
    spec = broker_pb2.OFFSET_SPEC_EARLIEST if args.from_beginning else broker_pb2.OFFSET_SPEC_LATEST
    positions, where = {}, {}
    for p, address in leaders.items():
        if args.offset is not None:
            positions[p], where[p] = args.offset, address
            continue
        req = broker_pb2.ListOffsetsRequest(topic=args.topic, partition=p, spec=spec)
        resp, where[p] = brook.on_leader(address, lambda a: brook.broker(a).ListOffsets(req, timeout=brook.timeout_s))
        positions[p] = resp.offset

    # One long-poll Fetch in flight per partition; print whichever answers first.
    done = queue.Queue()
    in_flight = {}

    def fetch(p):
        req = broker_pb2.FetchRequest(topic=args.topic, partition=p, offset=positions[p], max_wait_ms=args.max_wait_ms,
                                      format=broker_pb2.RECORD_FORMAT_RECORDS)
        future = brook.broker(where[p]).Fetch.future(req, timeout=brook.timeout_s + args.max_wait_ms / 1000.0)
        in_flight[p] = future
        future.add_done_callback(lambda f: done.put((p, f)))

    count, last_record = 0, time.monotonic()
    try:
        for p in leaders:
            fetch(p)
        while args.max is None or count < args.max:
            try:
                p, future = done.get(timeout=0.5)
            except queue.Empty:
                if args.timeout_ms is not None and (time.monotonic() - last_record) * 1000 >= args.timeout_ms:
                    break
                continue
            del in_flight[p]
            try:
                resp = future.result()
            except grpc.RpcError as e:
                err = BrookError.from_rpc(e)
                if err.code == "NOT_LEADER_OR_FOLLOWER" and err.leader_hint:
                    where[p] = err.leader_hint
                    fetch(p)
                    continue
                raise err
            for r in resp.records:
                print(format_record(r, p, args), flush=True)
                count += 1
                last_record = time.monotonic()
                if args.max is not None and count >= args.max:
                    break
            positions[p] = max(positions[p], resp.next_offset)
            fetch(p)
    finally:
        for f in in_flight.values():
            f.cancel()
    print("Consumed %d record(s)" % count, file=sys.stderr)


def text(b):
    return b.decode("utf-8", errors="backslashreplace")


def format_record(r, partition, args):
    fields = []
    if args.print_offset:
        fields.append("%d:%d" % (partition, r.offset))
    if args.print_key:
        fields.append(text(r.key) if r.HasField("key") else "null")
    if args.print_headers:
        fields.append(",".join("%s=%s" % (h.key, text(h.value) if h.HasField("value") else "null")
                               for h in r.headers))
    fields.append(text(r.value) if r.HasField("value") else "null")
    return "\t".join(fields)


ACKS = {"all": broker_pb2.ACKS_ALL, "leader": broker_pb2.ACKS_LEADER, "none": broker_pb2.ACKS_NONE}
COMPRESSION = {"none": broker_pb2.COMPRESSION_NONE, "gzip": broker_pb2.COMPRESSION_GZIP,
               "snappy": broker_pb2.COMPRESSION_SNAPPY, "lz4": broker_pb2.COMPRESSION_LZ4,
               "zstd": broker_pb2.COMPRESSION_ZSTD}


def parsers():
    """One parser per command; parsed with parse_intermixed_args so options and VALUEs may mix."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--bootstrap-server", default=os.environ.get("BROOK_BOOTSTRAP_SERVER", "localhost:9092"),
                        help="host:port[,host:port...] of Brook brokers (default: $BROOK_BOOTSTRAP_SERVER "
                             "or localhost:9092)")
    common.add_argument("--request-timeout-ms", type=int, default=30000, help="deadline of each call (default 30000)")

    def command(name, description, run):
        ap = argparse.ArgumentParser(prog="brook_example.py " + name, description=description, parents=[common])
        ap.set_defaults(run=run)
        return ap

    c = command("create-topic", "Create a topic.", cmd_create_topic)
    c.add_argument("name")
    c.add_argument("--partitions", type=int, default=0, help="default: the cluster's num.partitions")
    c.add_argument("--replication-factor", type=int, default=0, help="default: the cluster's")

    p = command("produce", "Produce each VALUE (or each line of stdin) as a plain record, in one request; "
                           "prints the base offset.", cmd_produce)
    p.add_argument("topic")
    p.add_argument("values", nargs="*", metavar="VALUE", help="one record each; none: one per line of stdin")
    p.add_argument("--partition", type=int, default=-1,
                   help="default -1: the broker chooses (by key as Kafka does, keyless round-robin)")
    p.add_argument("--idempotent", action="store_true",
                   help="producer id from InitProducerId and sequence numbers: resent requests are not duplicated "
                        "(needs --partition)")
    p.add_argument("--batch-size", type=int, metavar="N", help="records per request (default: all in one)")
    p.add_argument("--retries", type=int, default=5, help="resends of a request whose answer was lost "
                                                         "(--idempotent only; default 5)")
    p.add_argument("--key", help="key of every record (default: none)")
    p.add_argument("--key-separator", metavar="SEP", help="split each VALUE into KEY<SEP>VALUE")
    p.add_argument("--header", action="append", default=[], metavar="KEY=VALUE", help="header of every record")
    p.add_argument("--acks", choices=sorted(ACKS), default="all")
    p.add_argument("--compression", choices=sorted(COMPRESSION), default="none",
                   help="how the broker compresses the batch it builds")

    s = command("consume", "Print record values, one per line (Fetch with RECORD_FORMAT_RECORDS, long-poll).",
                cmd_consume)
    s.add_argument("topic")
    s.add_argument("--partition", type=int, help="default: every partition (found with Metadata)")
    start = s.add_mutually_exclusive_group()
    start.add_argument("--from-beginning", action="store_true", help="start at the log start (default: the end)")
    start.add_argument("--offset", type=int, help="start at this offset in each partition")
    s.add_argument("--max", "--max-messages", dest="max", type=int, metavar="N", help="stop after N records")
    s.add_argument("--timeout-ms", type=int, help="stop after this long without a record")
    s.add_argument("--max-wait-ms", type=int, default=1000, help="long-poll wait of each Fetch (default 1000)")
    s.add_argument("--print-offset", action="store_true", help="prefix PARTITION:OFFSET")
    s.add_argument("--print-key", action="store_true", help="prefix the key (null if none)")
    s.add_argument("--print-headers", action="store_true", help="prefix the headers as K=V,K=V")
    return {"create-topic": c, "produce": p, "consume": s}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    commands = parsers()
    if not argv or argv[0] not in commands:
        out = sys.stdout if argv[:1] in (["-h"], ["--help"]) else sys.stderr
        print("usage: brook_example.py {%s} [options] (COMMAND --help for more)" % ",".join(commands), file=out)
        return 0 if out is sys.stdout else 2
    args = commands[argv[0]].parse_intermixed_args(argv[1:])
    brook = Brook(args.bootstrap_server, args.request_timeout_ms / 1000.0)
    try:
        args.run(brook, args)
        return 0
    except BrookError as e:
        print(e.line(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        brook.close()


if __name__ == "__main__":
    sys.exit(main())

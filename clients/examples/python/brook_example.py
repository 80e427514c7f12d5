#!/usr/bin/env python3
"""A small Brook client in Python, on stubs generated from proto/ (see README.md).

Produces and consumes plain `Record`s (no batch codec needed: the broker builds batches on
produce and decodes them on fetch), creates topics with the AdminService, and turns a failed
call's gRPC status into Brook's error code by reading the `brook.common.v1.ErrorDetail` packed
in its `grpc-status-details-bin` trailer.

    brook_example.py create-topic NAME [--partitions N]
    brook_example.py produce TOPIC [--partition P] [--key K] [--header K=V]... [--idempotent] [--batch-size N] VALUE...
    brook_example.py consume TOPIC [--partition P] [--from-beginning | --offset O] [--max N]

Every command takes --command-config FILE: Kafka's client security properties (security.protocol
PLAINTEXT, SSL, SASL_SSL or SASL_PLAINTEXT; ssl.ca.certificates, ssl.certificate, ssl.private.key;
sasl.mechanism with sasl.jaas.config or sasl.username/sasl.password), as the Java CLI reads them.

Exit status: 0 on success, 1 on an error (one line on stderr: `error: CODE: message`),
2 on a usage error (including an inconsistent --command-config file).
"""

import argparse
import base64
import os
import queue
import re
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


# ---------------------------------------------------------------------------------- security

class ConfigError(Exception):
    """A --command-config file that cannot be used: one line, exit status 2."""


def load_properties(path):
    """Reads a Java properties file (java.util.Properties.load): `key=value`, `key: value` or
    `key value` lines, `#`/`!` comments, a trailing backslash continues the line, backslash escapes
    (`\\t`, `\\n`, `\\uXXXX`; any other escaped character stands for itself)."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise ConfigError("cannot read the command config file %s: %s" % (path, e.strerror or e))

    def continues(line):
        return (len(line) - len(line.rstrip("\\"))) % 2 == 1

    def unescape(text):
        out, i = [], 0
        while i < len(text):
            c = text[i]
            i += 1
            if c != "\\" or i >= len(text):
                out.append(c)
                continue
            c = text[i]
            i += 1
            if c == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[i:i + 4]):
                out.append(chr(int(text[i:i + 4], 16)))
                i += 4
            else:
                out.append({"t": "\t", "n": "\n", "r": "\r", "f": "\f"}.get(c, c))
        return "".join(out)

    props, i = {}, 0
    while i < len(lines):
        line = lines[i].lstrip(" \t\f")
        i += 1
        if not line or line[0] in "#!":
            continue
        while continues(line):
            line = line[:-1] + (lines[i].lstrip(" \t\f") if i < len(lines) else "")
            i += 1
        # The key ends at the first unescaped '=', ':' or blank.
        k = 0
        while k < len(line) and line[k] not in "=: \t\f":
            k += 2 if line[k] == "\\" else 1
        key, rest = line[:k], line[k:].lstrip(" \t\f")
        if rest[:1] in ("=", ":"):
            rest = rest[1:].lstrip(" \t\f")
        props[unescape(key)] = unescape(rest)
    return props


def parse_jaas(line):
    """The options of a JAAS line `LoginModuleClass flag key=value ... ;` (values double-quoted with
    \\" and \\\\ escaped, or bare), as the Java client's SaslClientConfig reads sasl.jaas.config."""
    s = line.strip()
    if not s.endswith(";"):
        raise ConfigError("sasl.jaas.config must end with ';'")
    s = s[:-1]
    head = s.split(None, 2)
    if len(head) < 2 or head[1].lower() not in ("required", "requisite", "sufficient", "optional"):
        raise ConfigError("sasl.jaas.config must start with a login module and a flag "
                          "(e.g. org.apache.kafka.common.security.scram.ScramLoginModule required)")
    s = head[2] if len(head) > 2 else ""
    options, i = {}, 0
    while True:
        while i < len(s) and s[i].isspace():
            i += 1
        if i >= len(s):
            return options
        eq = s.find("=", i)
        if eq < 0:
            raise ConfigError("sasl.jaas.config: expected key=value at '%s'" % s[i:])
        key, i, value = s[i:eq].strip(), eq + 1, []
        if i < len(s) and s[i] == '"':
            i += 1
            closed = False
            while i < len(s):
                c = s[i]
                i += 1
                if c == "\\" and i < len(s):
                    value.append(s[i])
                    i += 1
                elif c == '"':
                    closed = True
                    break
                else:
                    value.append(c)
            if not closed:
                raise ConfigError("sasl.jaas.config: unterminated quote in the value of " + key)
        else:
            while i < len(s) and not s[i].isspace():
                value.append(s[i])
                i += 1
        options[key] = "".join(value)


SSL_KEYS = ("ssl.ca.certificates", "ssl.certificate", "ssl.private.key", "ssl.endpoint.identification.algorithm",
            "ssl.certificate.reload.interval.ms")
SASL_MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512")


class Security:
    """How connections are made, from Kafka's client properties (the Java client's
    ClientSecurityConfig and SaslClientConfig, docs/security.md): plaintext or TLS, and a user sent
    on every call as `authorization: Basic base64(user:password)` (RFC 7617) and
    `brook-sasl-mechanism`. The same inconsistent settings are refused, with one line."""

    def __init__(self, props=None):
        own = {k: (v or "").strip() for k, v in (props or {}).items()
               if k == "security.protocol" or k.startswith("ssl.") or k.startswith("sasl.")}
        for k in own:
            if k.startswith("ssl.") and k not in SSL_KEYS:
                raise ConfigError("unknown client setting '%s' (known: %s)"
                                  % (k, ", ".join(sorted(SSL_KEYS + ("security.protocol",)))))
        given = own.get("security.protocol", "PLAINTEXT")
        self.protocol = given.upper()
        if self.protocol not in ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"):
            raise ConfigError("invalid value '%s' for security.protocol: expected PLAINTEXT, SSL, SASL_SSL or "
                              "SASL_PLAINTEXT" % given)
        self.mechanism, self.username, self.password = self.parse_sasl(own)
        sasl = self.protocol.startswith("SASL_")
        if sasl and self.mechanism is None:
            raise ConfigError("security.protocol=%s needs a user: sasl.mechanism=SCRAM-SHA-256 (or -512) and "
                              "sasl.jaas.config, or sasl.username and sasl.password" % self.protocol)
        if not sasl and self.mechanism is not None:
            raise ConfigError("sasl.mechanism is set but security.protocol is %s: set security.protocol=%s to log in "
                              "as the user" % (self.protocol, "SASL_SSL" if self.protocol == "SSL"
                                               else "SASL_SSL (or SASL_PLAINTEXT)"))
        self.tls = self.protocol in ("SSL", "SASL_SSL")
        if not self.tls:
            for k in own:
                if k.startswith("ssl."):
                    raise ConfigError("%s is set but security.protocol is %s: set security.protocol=%s to use TLS"
                                      % (k, self.protocol, "SASL_SSL" if sasl else "SSL"))
            return
        if own.get("ssl.endpoint.identification.algorithm", "https").lower() != "https":
            raise ConfigError("ssl.endpoint.identification.algorithm=%s is not supported here: gRPC Python always "
                              "checks that the broker's certificate names the host dialled (https)"
                              % own["ssl.endpoint.identification.algorithm"])
        cert, key = own.get("ssl.certificate") or None, own.get("ssl.private.key") or None
        if (cert is None) != (key is None):
            raise ConfigError("ssl.private.key is set but ssl.certificate is not: set both or neither" if cert is None
                              else "ssl.certificate is set but ssl.private.key is not: set both or neither")
        if not own.get("ssl.ca.certificates"):
            raise ConfigError("TLS is on (security.protocol=%s) but ssl.ca.certificates is not set (needed to check "
                              "the broker's certificate)" % self.protocol)
        self.ca = self.pem("ssl.ca.certificates", own["ssl.ca.certificates"], "CERTIFICATE")
        self.certificate = self.pem("ssl.certificate", cert, "CERTIFICATE") if cert else None
        self.private_key = self.pem("ssl.private.key", key, "PRIVATE KEY") if key else None

    @staticmethod
    def parse_sasl(own):
        """(mechanism, user, password), or (None, None, None) without a user; as SaslClientConfig.parse."""
        mech, user, password = own.get("sasl.mechanism"), own.get("sasl.username"), own.get("sasl.password")
        if own.get("sasl.jaas.config"):
            options = parse_jaas(own["sasl.jaas.config"])
            user, password = options.get("username"), options.get("password")
            if user is None or password is None:
                raise ConfigError('sasl.jaas.config needs username="..." and password="..."')
        if not mech:
            if user is not None or password is not None:
                raise ConfigError("a user is given but no sasl.mechanism: set it to SCRAM-SHA-256 or SCRAM-SHA-512")
            return None, None, None
        if mech.upper() not in SASL_MECHANISMS:
            raise ConfigError("sasl.mechanism: unsupported SASL mechanism '%s': use SCRAM-SHA-256 or SCRAM-SHA-512"
                              % mech)
        if not user or password is None:
            raise ConfigError("sasl.mechanism=%s needs sasl.jaas.config or sasl.username and sasl.password" % mech)
        if ":" in user:
            raise ConfigError("a user name cannot contain ':' (RFC 7617), got '%s'" % user)
        return mech.upper(), user, password

    @staticmethod
    def pem(setting, path, kind):
        """The bytes of a PEM file that holds a `-----BEGIN ...kind-----` block."""
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise ConfigError("%s file %s cannot be read: %s" % (setting, path, e.strerror or e))
        if not re.search(rb"-----BEGIN [A-Z ]*" + kind.encode() + rb"-----", data):
            raise ConfigError("%s file %s holds no PEM %s" % (setting, path, kind.lower()))
        return data

    def metadata(self):
        """The two headers that carry the user on every call (the Java client's SaslClientConfig)."""
        basic = base64.b64encode(("%s:%s" % (self.username, self.password)).encode("utf-8")).decode("ascii")
        return (("authorization", "Basic " + basic), ("brook-sasl-mechanism", self.mechanism))

    def channel(self, address):
        """A channel to host:port: plaintext, or TLS checking the broker's certificate against
        ssl.ca.certificates and its name against the host (mutual TLS with ssl.certificate); with a
        SASL protocol the user goes on every call (call credentials over TLS; over plaintext the
        same headers from an interceptor, as gRPC sends call credentials only over TLS)."""
        if self.tls:
            creds = grpc.ssl_channel_credentials(root_certificates=self.ca, private_key=self.private_key,
                                                 certificate_chain=self.certificate)
            if self.mechanism:
                headers = self.metadata()
                creds = grpc.composite_channel_credentials(
                    creds, grpc.metadata_call_credentials(lambda context, callback: callback(headers, None)))
            return grpc.secure_channel(address, creds)
        channel = grpc.insecure_channel(address)
        if self.mechanism:
            channel = grpc.intercept_channel(channel, _HeaderInterceptor(self.metadata()))
        return channel

    def explain(self, err):
        """A hint for a connection that failed below gRPC (TLS against plaintext, an untrusted CA, ...)."""
        if err.code != "gRPC UNAVAILABLE":
            return err
        m = err.message
        if self.tls:
            if "WRONG_VERSION_NUMBER" in m or "http1.x" in m:
                hint = "the broker speaks plaintext, not TLS: set security.protocol=%s in the client config, or turn " \
                       "TLS on at the broker" % ("SASL_PLAINTEXT" if self.mechanism else "PLAINTEXT")
            elif "CERTIFICATE_VERIFY_FAILED" in m:
                hint = "TLS handshake failed: certificate not trusted (its chain does not lead to a CA in " \
                       "ssl.ca.certificates)"
            elif "Peer name" in m or "not in peer certificate" in m:
                hint = "TLS handshake failed: the broker's certificate does not name the host dialled"
            elif "CERTIFICATE_REQUIRED" in m or "HANDSHAKE_FAILURE" in m:
                hint = "TLS handshake failed: the broker refused the handshake (does it require a client " \
                       "certificate? set ssl.certificate and ssl.private.key)"
            else:
                return err
        elif "refused" not in m.lower() and "DNS" not in m and "Deadline" not in m:
            hint = "the broker closed the connection: if it speaks TLS, set security.protocol=%s and " \
                   "ssl.ca.certificates in a --command-config file (see README.md, Security)" \
                   % ("SASL_SSL" if self.mechanism else "SSL")
        else:
            return err
        return BrookError(err.code, "%s (%s)" % (hint, m))


class _CallDetails(grpc.ClientCallDetails):
    def __init__(self, details, metadata):
        self.method, self.timeout, self.credentials = details.method, details.timeout, details.credentials
        self.wait_for_ready = getattr(details, "wait_for_ready", None)
        self.compression = getattr(details, "compression", None)
        self.metadata = metadata


class _HeaderInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    """Adds fixed headers to every call (a user over SASL_PLAINTEXT)."""

    def __init__(self, headers):
        self.headers = list(headers)

    def _details(self, details):
        return _CallDetails(details, list(details.metadata or ()) + self.headers)

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._details(details), request)


def security_from(path):
    """The Security of a --command-config file, or plaintext without one.

    Raises ConfigError: the file cannot be read, or its settings are wrong (the file named first)."""
    if not path:
        return Security()
    props = load_properties(path)
    try:
        return Security(props)
    except ConfigError as e:
        raise ConfigError("%s: %s" % (path, e))


class Brook:
    """Channels to the bootstrap servers and to whichever brokers lead the partitions used."""

    def __init__(self, bootstrap, timeout_s, security=None):
        self.bootstrap = [a.strip() for a in bootstrap.split(",") if a.strip()]
        self.timeout_s = timeout_s
        self.security = security or Security()
        self.channels = {}

    def channel(self, address):
        if address not in self.channels:
            self.channels[address] = self.security.channel(address)
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
    common.add_argument("--command-config", metavar="FILE",
                        help="client security properties, Kafka's names: security.protocol (PLAINTEXT, SSL, SASL_SSL, "
                             "SASL_PLAINTEXT), ssl.ca.certificates, ssl.certificate, ssl.private.key, sasl.mechanism, "
                             "sasl.jaas.config or sasl.username and sasl.password (see README.md, Security)")

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
    try:
        security = security_from(args.command_config)
    except ConfigError as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    brook = Brook(args.bootstrap_server, args.request_timeout_ms / 1000.0, security)
    try:
        args.run(brook, args)
        return 0
    except BrookError as e:
        print(security.explain(e).line(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        brook.close()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env node
// A small Brook client in Node.js (see README.md): @grpc/grpc-js with the .proto files of
// proto/src/main/proto loaded at run time by @grpc/proto-loader; no code generation.
//
//   brook_example.js create-topic NAME [--partitions N] [--replication-factor R]
//   brook_example.js produce TOPIC [--partition P] [--key K] [--idempotent] [--batch-size N] VALUE...
//   brook_example.js consume TOPIC [--partition P] [--from-beginning | --offset O] [--max N] [--timeout-ms MS]
//   brook_example.js group-consume GROUP TOPIC... [--from-beginning] [--max N] [--timeout-ms MS]
//
// Exit status: 0 on success, 1 on an error (one line on stderr: `error: CODE: message`), 2 on a
// usage error.
'use strict';

const path = require('path');
const fs = require('fs');
const { parseArgs } = require('util');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

// The .proto files: $BROOK_PROTO_DIR, else the repository's proto/src/main/proto.
const PROTO_DIR = process.env.BROOK_PROTO_DIR || path.resolve(__dirname, '..', '..', '..', 'proto', 'src', 'main', 'proto');
const LOADER_OPTIONS = {
  keepCase: true, // field names as in the .proto files (snake_case)
  longs: String, // int64 as decimal strings: no precision lost
  enums: String, // enum values by name
  defaults: true, // unset scalars as their defaults; proto3 `optional` fields stay undefined when absent
  oneofs: true, // which member of a oneof is set (`data: 'records'`)
  includeDirs: [PROTO_DIR],
};

function loadApi() {
  if (!fs.existsSync(path.join(PROTO_DIR, 'brook', 'v1', 'broker.proto'))) {
    throw new BrookError('INVALID_REQUEST', `no brook/v1/broker.proto under ${PROTO_DIR}: set BROOK_PROTO_DIR`);
  }
  const definition = protoLoader.loadSync(
    ['brook/v1/broker.proto', 'brook/v1/admin.proto', 'brook/v1/groups.proto'], LOADER_OPTIONS);
  const api = grpc.loadPackageDefinition(definition).brook.v1;
  // google.rpc.Status (shipped in proto/) and ErrorDetail, to decode a failed call's details.
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => (protobuf.common[target] ? target : path.join(PROTO_DIR, target));
  root.loadSync(['google/rpc/status.proto', 'brook/common/v1/errors.proto'], { keepCase: true });
  return {
    BrokerService: api.BrokerService,
    AdminService: api.AdminService,
    GroupService: api.GroupService,
    Status: root.lookupType('google.rpc.Status'),
    ErrorDetail: root.lookupType('brook.common.v1.ErrorDetail'),
    ErrorCode: root.lookupEnum('brook.common.v1.ErrorCode'),
  };
}

const ERROR_DETAIL_TYPE = 'brook.common.v1.ErrorDetail';
let API; // loaded in main()

/** A failed call: Brook's error code (or `gRPC STATUS` when the call never reached Brook). */
class BrookError extends Error {
  constructor(code, message, retriable = false, leaderHint = '') {
    super(`${code}: ${message}`);
    this.code = code;
    this.detailMessage = message;
    this.retriable = retriable;
    this.leaderHint = leaderHint;
  }

  /** Reads the ErrorDetail packed in the grpc-status-details-bin trailer of a failed call. */
  static fromRpc(err) {
    if (err instanceof BrookError) {
      return err;
    }
    if (typeof err.code !== 'number') {
      return new BrookError('CLIENT_ERROR', String((err && err.stack) || err)); // a bug here, not a failed call
    }
    const trailer = err.metadata ? err.metadata.get('grpc-status-details-bin') : [];
    for (const bytes of trailer) {
      const status = API.Status.decode(bytes);
      for (const any of status.details) {
        if (any.type_url.split('/').pop() === ERROR_DETAIL_TYPE) {
          return BrookError.fromDetail(API.ErrorDetail.decode(any.value));
        }
      }
    }
    const name = Object.keys(grpc.status).find((k) => grpc.status[k] === err.code) || String(err.code);
    return new BrookError(`gRPC ${name}`, (err.details || err.message || '').replace(/\s+/g, ' ').trim(),
      err.code === grpc.status.UNAVAILABLE);
  }

  /** From an ErrorDetail decoded by protobufjs (the code as a number). */
  static fromDetail(d) {
    const name = API.ErrorCode.valuesById[d.code] || `ERROR_CODE_${d.code}`;
    return new BrookError(name, d.message, d.retriable, d.leader_hint);
  }

  line() {
    const extra = [];
    if (this.retriable) extra.push('retriable');
    if (this.leaderHint) extra.push(`leader at ${this.leaderHint}`);
    return `error: ${this.code}: ${this.detailMessage}${extra.length ? ` (${extra.join('; ')})` : ''}`;
  }
}

/** Calls a unary method as a promise, with a deadline. */
function unary(client, method, request, timeoutMs) {
  return new Promise((resolve, reject) => {
    client[method](request, { deadline: Date.now() + timeoutMs }, (err, response) => (err ? reject(err) : resolve(response)));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Clients for the bootstrap servers and for whichever brokers lead the partitions used. */
class Brook {
  constructor(bootstrap, timeoutMs) {
    this.bootstrap = bootstrap.split(',').map((s) => s.trim()).filter(Boolean);
    this.timeoutMs = timeoutMs;
    this.clients = new Map();
  }

  client(service, address) {
    const key = `${service}@${address}`;
    if (!this.clients.has(key)) {
      this.clients.set(key, new API[service](address, grpc.credentials.createInsecure()));
    }
    return this.clients.get(key);
  }

  call(service, address, method, request) {
    return unary(this.client(service, address), method, request, this.timeoutMs).catch((e) => {
      throw BrookError.fromRpc(e);
    });
  }

  close() {
    for (const c of this.clients.values()) c.close();
  }

  /** fn(address) on the first bootstrap server that answers. */
  async anyBroker(fn) {
    let last = new BrookError('INVALID_REQUEST', 'no bootstrap server given');
    for (const address of this.bootstrap) {
      try {
        return await fn(address);
      } catch (e) {
        last = BrookError.fromRpc(e);
        if (last.code !== 'gRPC UNAVAILABLE') throw last;
      }
    }
    throw last;
  }

  /** fn(address), following NOT_LEADER_OR_FOLLOWER's leader hint. */
  async onLeader(address, fn) {
    let err;
    for (let i = 0; i < 5; i++) {
      try {
        return await fn(address);
      } catch (e) {
        err = BrookError.fromRpc(e);
        if (err.code !== 'NOT_LEADER_OR_FOLLOWER' || !err.leaderHint) throw err;
        address = err.leaderHint;
      }
    }
    throw err;
  }

  /** The topic's partitions and the address of each one's leader (null: none now), via Metadata. */
  async topicMetadata(topic) {
    const resp = await this.anyBroker((a) => this.call('BrokerService', a, 'Metadata', { topics: [topic] }));
    const meta = resp.topics.find((t) => t.name === topic);
    if (!meta) throw new BrookError('UNKNOWN_TOPIC_OR_PARTITION', `topic '${topic}' does not exist`);
    if (meta.error && meta.error.code !== 'ERROR_CODE_UNSPECIFIED') {
      // Decoded by proto-loader: the enum by name already.
      throw new BrookError(meta.error.code, meta.error.message, meta.error.retriable, meta.error.leader_hint);
    }
    const brokers = new Map(resp.brokers.map((b) => [b.id, `${b.host}:${b.port}`]));
    const leaders = new Map();
    for (const p of meta.partitions) leaders.set(p.partition, brokers.get(p.leader) || null);
    return leaders;
  }
}

// ------------------------------------------------------------------------------------ commands

async function createTopic(brook, args, positionals) {
  const [name] = positionals;
  if (!name) throw usage('create-topic NAME');
  const req = { name, partitions: int(args.partitions, 0), replication_factor: int(args['replication-factor'], 0) };
  const resp = await brook.anyBroker((a) => brook.call('AdminService', a, 'CreateTopic', req));
  console.log(`Created topic ${resp.topic.name} with ${resp.topic.partitions.length} partition(s)`);
}

/**
 * Produces VALUEs as plain records, --batch-size per request (default: all in one). With
 * --idempotent: a producer id from InitProducerId and, per request, the sequence number of its
 * first record; a request whose answer is lost (connection cut, broker restart, timeout) is sent
 * again unchanged, and the broker answers a retry of an appended request with the original offsets.
 */
async function produce(brook, args, positionals) {
  const [topic, ...given] = positionals;
  if (!topic) throw usage('produce TOPIC [VALUE...]');
  const values = given.length ? given : fs.readFileSync(0, 'utf8').split('\n').filter((l, i, a) => i < a.length - 1 || l);
  const partition = int(args.partition, -1); // -1: the broker chooses (by key, else round-robin)
  const batchSize = int(args['batch-size'], values.length || 1);
  const retries = int(args.retries, 5);
  const acks = { all: 'ACKS_ALL', leader: 'ACKS_LEADER', none: 'ACKS_NONE' }[args.acks || 'all'];
  if (!acks) throw usage('--acks all|leader|none');
  let producer = null;
  if (args.idempotent) {
    if (partition < 0) {
      throw new BrookError('INVALID_REQUEST', '--idempotent needs --partition: sequence numbers are per partition');
    }
    producer = await brook.anyBroker((a) => brook.call('BrokerService', a, 'InitProducerId', {}));
  }
  let sequence = 0;
  let address = null;
  for (let i = 0; i < values.length; i += batchSize) {
    const records = values.slice(i, i + batchSize).map((v) => {
      const r = { value: Buffer.from(v) };
      if (args.key !== undefined) r.key = Buffer.from(args.key);
      return r;
    });
    const req = { topic, partition, acks, records: { records } };
    if (producer) {
      Object.assign(req, { producer_id: producer.producer_id, producer_epoch: producer.producer_epoch, base_sequence: sequence });
      sequence += records.length;
    }
    // The same request, unchanged, until it is answered: safe only with --idempotent.
    let resp;
    for (let attempt = 0; ; attempt++) {
      try {
        const send = (a) => brook.onLeader(a, async (b) => {
          const r = await brook.call('BrokerService', b, 'Produce', req);
          address = b;
          return r;
        });
        resp = await (address ? send(address) : brook.anyBroker(send));
        break;
      } catch (e) {
        const err = BrookError.fromRpc(e);
        if (!producer || !err.retriable || attempt >= retries) throw err;
        process.stderr.write(`retrying after ${err.code}: ${err.detailMessage}\n`);
        await sleep(100 * (attempt + 1));
      }
    }
    console.log(`Produced ${records.length} record(s) to ${resp.topic}-${resp.partition} at base offset ${resp.base_offset}`);
  }
}

function formatRecord(r, partition, args) {
  const fields = [];
  if (args['print-offset']) fields.push(`${partition}:${r.offset}`);
  if (args['print-key']) fields.push(r.key === undefined || r.key === null ? 'null' : r.key.toString());
  fields.push(r.value === undefined || r.value === null ? 'null' : r.value.toString());
  return fields.join('\t');
}

/** Long-poll Fetches, one in flight per partition, each on its leader; prints values as they come. */
async function consume(brook, args, positionals) {
  const [topic] = positionals;
  if (!topic) throw usage('consume TOPIC');
  let leaders = await brook.topicMetadata(topic);
  if (args.partition !== undefined) {
    const p = int(args.partition);
    if (!leaders.has(p)) {
      throw new BrookError('UNKNOWN_TOPIC_OR_PARTITION', `topic '${topic}' has ${leaders.size} partition(s), no partition ${p}`);
    }
    leaders = new Map([[p, leaders.get(p)]]);
  }
  const positions = new Map();
  for (const [p, address] of leaders) {
    if (!address) throw new BrookError('LEADER_NOT_AVAILABLE', `${topic}-${p} has no leader right now`, true);
    if (args.offset !== undefined) {
      positions.set(p, String(int(args.offset)));
    } else {
      const spec = args['from-beginning'] ? 'OFFSET_SPEC_EARLIEST' : 'OFFSET_SPEC_LATEST';
      const r = await brook.onLeader(address, (a) => brook.call('BrokerService', a, 'ListOffsets', { topic, partition: p, spec }));
      positions.set(p, r.offset);
    }
  }
  const max = args.max !== undefined ? int(args.max) : Infinity;
  const timeoutMs = args['timeout-ms'] !== undefined ? int(args['timeout-ms']) : Infinity;
  const where = new Map(leaders);
  const pending = new Map();
  const fetch = (p) => {
    const req = { topic, partition: p, offset: positions.get(p), max_wait_ms: 500, format: 'RECORD_FORMAT_RECORDS' };
    pending.set(p, brook.onLeader(where.get(p), async (a) => {
      const r = await brook.call('BrokerService', a, 'Fetch', req);
      where.set(p, a);
      return r;
    }).then((r) => ({ p, r }), (e) => ({ p, e }))); // settled either way: nothing is left unhandled
  };
  let count = 0;
  let lastRecord = Date.now();
  for (const p of leaders.keys()) fetch(p);
  while (count < max && Date.now() - lastRecord < timeoutMs) {
    const { p, r, e } = await Promise.race(pending.values());
    pending.delete(p);
    if (e) throw e;
    for (const rec of r.records) {
      if (count >= max) break;
      console.log(formatRecord(rec, p, args));
      count++;
      lastRecord = Date.now();
    }
    if (BigInt(r.next_offset) > BigInt(positions.get(p))) positions.set(p, r.next_offset);
    fetch(p);
  }
  process.stderr.write(`Consumed ${count} record(s)\n`);
}

/**
 * A consumer-group member (KIP-848, groups.proto): ConsumerGroupHeartbeat to join and stay, the
 * partitions the coordinator assigns fetched from the group's committed offsets (OffsetFetch),
 * each record printed as `PARTITION OFFSET VALUE`, offsets committed after each fetch
 * (OffsetCommit), partitions the coordinator takes away dropped, and a leave heartbeat (epoch -1)
 * at the end.
 */
async function groupConsume(brook, args, positionals) {
  const [group, ...topics] = positionals;
  if (!group || !topics.length) throw usage('group-consume GROUP TOPIC...');
  const max = args.max !== undefined ? int(args.max) : Infinity;
  const timeoutMs = args['timeout-ms'] !== undefined ? int(args['timeout-ms']) : Infinity;
  // The coordinator may be moving, being created or loading the group's offsets: ask again shortly.
  const COORDINATOR_BUSY = ['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS', 'gRPC UNAVAILABLE'];
  const groups = async (method, req) => {
    const deadline = Date.now() + brook.timeoutMs;
    for (;;) {
      try {
        return await brook.anyBroker((a) => brook.call('GroupService', a, method, req));
      } catch (e) {
        if (!COORDINATOR_BUSY.includes(e.code) || Date.now() > deadline) throw e;
        await sleep(200);
      }
    }
  };
  let memberId = '';
  let epoch = 0;
  let nextHeartbeat = 0;
  let owned = []; // [{topic, partition}]
  const positions = new Map(); // "topic/partition" -> next offset (string)
  const heartbeat = async (leaving) => {
    const resp = await groups('ConsumerGroupHeartbeat', {
      group_id: group, member_id: memberId, member_epoch: leaving ? -1 : epoch, client_id: 'brook-node-example',
      subscribed_topic_names: topics, rebalance_timeout_ms: 30000,
      owned_partitions: topics.map((t) => ({ topic: t, partitions: owned.filter((o) => o.topic === t).map((o) => o.partition) })),
    });
    if (leaving) return;
    memberId = resp.member_id;
    epoch = resp.member_epoch;
    nextHeartbeat = Date.now() + resp.heartbeat_interval_ms;
    const assigned = resp.assignment.flatMap((a) => a.partitions.map((partition) => ({ topic: a.topic, partition })));
    const key = (o) => `${o.topic}/${o.partition}`;
    const added = assigned.filter((a) => !owned.some((o) => key(o) === key(a)));
    owned.filter((o) => !assigned.some((a) => key(a) === key(o))).forEach((o) => positions.delete(key(o)));
    owned = assigned;
    if (added.length) {
      const committed = await groups('OffsetFetch', { group_id: group, topics });
      for (const a of added) {
        const c = committed.offsets.find((o) => o.topic === a.topic && o.partition === a.partition);
        let offset = c ? c.offset : null;
        if (offset === null) {
          const leaders = await brook.topicMetadata(a.topic);
          const spec = args['from-beginning'] ? 'OFFSET_SPEC_EARLIEST' : 'OFFSET_SPEC_LATEST';
          offset = (await brook.onLeader(leaders.get(a.partition), (ad) => brook.call('BrokerService', ad, 'ListOffsets',
            { topic: a.topic, partition: a.partition, spec }))).offset;
        }
        positions.set(key(a), offset);
      }
    }
  };
  let count = 0;
  let lastRecord = Date.now();
  try {
    await heartbeat(false);
    while (count < max && Date.now() - lastRecord < timeoutMs) {
      if (Date.now() >= nextHeartbeat) {
        try {
          await heartbeat(false);
        } catch (e) {
          if (e.code !== 'UNKNOWN_MEMBER_ID' && e.code !== 'FENCED_MEMBER_EPOCH') throw e;
          // Removed or out of step: drop every partition and join again with epoch 0.
          process.stderr.write(`rejoining after ${e.code}\n`);
          memberId = '';
          epoch = 0;
          owned = [];
          positions.clear();
          continue;
        }
      }
      if (!owned.length) {
        await sleep(100);
        continue;
      }
      for (const o of owned) {
        const k = `${o.topic}/${o.partition}`;
        if (!positions.has(k) || count >= max) continue;
        const leaders = await brook.topicMetadata(o.topic);
        const r = await brook.onLeader(leaders.get(o.partition), (a) => brook.call('BrokerService', a, 'Fetch', {
          topic: o.topic, partition: o.partition, offset: positions.get(k), max_wait_ms: 100, format: 'RECORD_FORMAT_RECORDS',
        }));
        let next = positions.get(k);
        for (const rec of r.records) {
          if (count >= max) break;
          console.log(`${o.partition} ${rec.offset} ${rec.value ? rec.value.toString() : 'null'}`);
          count++;
          lastRecord = Date.now();
          next = String(BigInt(rec.offset) + 1n);
        }
        if (next !== positions.get(k)) {
          positions.set(k, next);
          await groups('OffsetCommit', {
            group_id: group, member_id: memberId, member_epoch: epoch,
            partitions: [{ topic: o.topic, partition: o.partition, offset: next, leader_epoch: -1 }],
          });
        }
      }
    }
  } finally {
    if (memberId) await heartbeat(true).catch(() => {});
  }
  process.stderr.write(`Consumed ${count} record(s) as member ${memberId} of ${group}\n`);
}

// ------------------------------------------------------------------------------------ main

class UsageError extends Error {}
const usage = (what) => new UsageError(`usage: brook_example.js ${what}`);

function int(v, dflt) {
  if (v === undefined) return dflt;
  if (!/^-?\d+$/.test(v)) throw new UsageError(`not an integer: ${v}`);
  return Number(v);
}

const COMMANDS = {
  'create-topic': { run: createTopic, options: { partitions: { type: 'string' }, 'replication-factor': { type: 'string' } } },
  produce: {
    run: produce,
    options: {
      partition: { type: 'string' }, key: { type: 'string' }, acks: { type: 'string' }, idempotent: { type: 'boolean' },
      'batch-size': { type: 'string' }, retries: { type: 'string' },
    },
  },
  consume: {
    run: consume,
    options: {
      partition: { type: 'string' }, offset: { type: 'string' }, 'from-beginning': { type: 'boolean' }, max: { type: 'string' },
      'timeout-ms': { type: 'string' }, 'print-offset': { type: 'boolean' }, 'print-key': { type: 'boolean' },
    },
  },
  'group-consume': {
    run: groupConsume,
    options: { 'from-beginning': { type: 'boolean' }, max: { type: 'string' }, 'timeout-ms': { type: 'string' } },
  },
};

async function main(argv) {
  const command = COMMANDS[argv[0]];
  if (!command) {
    process.stderr.write(`usage: brook_example.js {${Object.keys(COMMANDS).join(',')}} [options]\n`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv.slice(1),
      allowPositionals: true,
      options: { ...command.options, 'bootstrap-server': { type: 'string' }, 'request-timeout-ms': { type: 'string' } },
    });
  } catch (e) {
    process.stderr.write(`error: ${e.message}\n`);
    return 2;
  }
  const { values: args, positionals } = parsed;
  let brook;
  try {
    API = loadApi();
    brook = new Brook(args['bootstrap-server'] || process.env.BROOK_BOOTSTRAP_SERVER || 'localhost:9092',
      int(args['request-timeout-ms'], 30000));
    await command.run(brook, args, positionals);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    process.stderr.write(`${BrookError.fromRpc(e).line()}\n`);
    return 1;
  } finally {
    if (brook) brook.close();
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});

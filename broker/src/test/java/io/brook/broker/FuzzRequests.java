package io.brook.broker;

import com.google.protobuf.ByteString;
import io.brook.proto.v1.Acks;
import io.brook.proto.v1.AlterTopicConfigRequest;
import io.brook.proto.v1.CreatePartitionsRequest;
import io.brook.proto.v1.CreateTopicRequest;
import io.brook.proto.v1.DeleteTopicRequest;
import io.brook.proto.v1.DescribeClusterRequest;
import io.brook.proto.v1.DescribeTopicRequest;
import io.brook.proto.v1.FetchRequest;
import io.brook.proto.v1.InitProducerIdRequest;
import io.brook.proto.v1.ListOffsetsRequest;
import io.brook.proto.v1.ListTopicsRequest;
import io.brook.proto.v1.MetadataRequest;
import io.brook.proto.v1.ProduceRequest;
import io.brook.proto.v1.Record;
import io.brook.proto.v1.RecordList;
import io.brook.storage.record.BatchMutator;
import io.brook.storage.record.CompressionType;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The requests of {@link BrokerFuzzTest}, drawn from a seeded {@link Random}: produce requests
 * carrying batches mutated by {@link BatchMutator} or plain records, fetch, list-offsets and
 * metadata requests with random and extreme fields, admin requests that are refused or change
 * nothing (creates are {@code validate_only}, deletes and partition counts never name a real change,
 * config changes land only on {@code fuzz-alter}, which takes no produce), serialized broker
 * requests mutated byte by byte (not admin ones: a mutation could make a real change), and bytes
 * that are no request at all.
 * Deterministic for a seed; not thread-safe.
 */
final class FuzzRequests {
  /** One request to send: what kind it is, its method ({@code service/Method}) and its bytes. */
  record Input(String kind, String method, byte[] bytes) {}

  static final String[] PRODUCE_TOPICS = {"fuzz", "fuzz", "fuzz", "fuzz-compact", "fuzz-small"};
  static final Map<String, Integer> PARTITIONS = Map.of("fuzz", 3, "fuzz-compact", 1, "fuzz-small", 1, "fuzz-alter", 1);
  static final String BROKER = "brook.v1.BrokerService/";
  static final String ADMIN = "brook.v1.AdminService/";
  /** Unary methods whose request, should random bytes parse, changes nothing or only what we can see. */
  private static final String[] ANY_JUNK = {BROKER + "Produce", BROKER + "Fetch", BROKER + "ListOffsets",
      BROKER + "Metadata", BROKER + "InitProducerId", ADMIN + "ListTopics", ADMIN + "DescribeTopic",
      ADMIN + "DescribeCluster", "brook.metadata.v1.ControllerService/DescribeQuorum", "grpc.health.v1.Health/Check",
      "brook.v1.NoSuchService/Produce", BROKER + "NoSuchMethod"};
  /**
   * Methods that change the cluster (or stream): they get bytes that cannot parse (a field with
   * wire type 7 first), so the malformed-request path is tested without risking a real change.
   */
  private static final String[] UNPARSEABLE_JUNK = {ADMIN + "CreateTopic", ADMIN + "DeleteTopic",
      ADMIN + "CreatePartitions", ADMIN + "AlterTopicConfig", "brook.metadata.v1.ControllerService/CreateTopics",
      "brook.metadata.v1.ControllerService/DeleteTopics", "brook.metadata.v1.ControllerService/RegisterBroker",
      "brook.metadata.v1.ControllerService/BrokerHeartbeat", "brook.metadata.v1.ControllerService/UnregisterBroker",
      "brook.metadata.v1.ControllerService/AlterPartition", "brook.metadata.v1.ControllerService/AllocateProducerIds",
      "brook.metadata.v1.ControllerService/CreatePartitions", "brook.metadata.v1.ControllerService/AlterTopicConfig",
      "brook.replication.v1.ReplicationService/Replicate", BROKER + "ProduceStream", BROKER + "Consume"};

  private final Random random;
  private final BatchMutator mutator;
  private final List<ByteBuffer> seeds = new ArrayList<>();

  FuzzRequests(Random random) {
    this.random = random;
    this.mutator = new BatchMutator(random);
    CompressionType[] codecs = CompressionType.values();
    for (int i = 0; i < 80; i++) {
      seeds.add(mutator.validBatch(codecs[i % codecs.length]));
    }
  }

  /** The next request, drawn from the mix described in the class comment. */
  Input next() {
    int k = random.nextInt(100);
    if (k < 34) {
      return new Input("produce batches", BROKER + "Produce", produceRequest().toByteArray());
    } else if (k < 42) {
      return new Input("produce records", BROKER + "Produce", plainProduceRequest().toByteArray());
    } else if (k < 52) {
      return new Input("fetch", BROKER + "Fetch", fetchRequest().toByteArray());
    } else if (k < 58) {
      return new Input("list offsets", BROKER + "ListOffsets", listOffsetsRequest().toByteArray());
    } else if (k < 61) {
      return new Input("metadata", BROKER + "Metadata", metadataRequest().toByteArray());
    } else if (k < 62) {
      return new Input("init producer id", BROKER + "InitProducerId", InitProducerIdRequest.getDefaultInstance().toByteArray());
    } else if (k < 66) {
      return adminRequest();
    } else if (k < 97) {
      return mutatedBytes();
    } else {
      byte[] junk = new byte[random.nextInt(40)];
      random.nextBytes(junk);
      if (random.nextBoolean()) {
        return new Input("junk bytes", ANY_JUNK[random.nextInt(ANY_JUNK.length)], junk);
      }
      byte[] unparseable = Arrays.copyOf(new byte[] {0x0F}, junk.length + 1); // field 1, wire type 7
      System.arraycopy(junk, 0, unparseable, 1, junk.length);
      return new Input("unparseable bytes", UNPARSEABLE_JUNK[random.nextInt(UNPARSEABLE_JUNK.length)], unparseable);
    }
  }

  private String topic() {
    int k = random.nextInt(20);
    if (k == 0) {
      return random.nextBoolean() ? "no-such-topic" : "";
    } else if (k == 1) {
      return randomName();
    }
    return PRODUCE_TOPICS[random.nextInt(PRODUCE_TOPICS.length)];
  }

  private String randomName() {
    return switch (random.nextInt(6)) {
      case 0 -> "x".repeat(250 + random.nextInt(5000));
      case 1 -> "bad name!";
      case 2 -> ".";
      case 3 -> "ключ\u0000\n";
      case 4 -> "zz-" + random.nextInt(1000);
      default -> "";
    };
  }

  private int partition(String topic) {
    int n = PARTITIONS.getOrDefault(topic, 1);
    int k = random.nextInt(20);
    return k == 0 ? -1 - random.nextInt(3) : k == 1 ? n + random.nextInt(3) : random.nextInt(n);
  }

  private Acks acks() {
    return Acks.forNumber(random.nextInt(4));
  }

  /** A produce request carrying one or two mutated (now and then valid) batches. */
  ProduceRequest produceRequest() {
    String topic = topic();
    ByteBuffer batches = random.nextInt(20) == 0
        ? mutator.validBatch(CompressionType.values()[random.nextInt(5)])
        : mutator.mutate(seeds.get(random.nextInt(seeds.size())));
    if (random.nextInt(15) == 0) { // two batches back to back
      ByteBuffer second = mutator.validBatch(CompressionType.values()[random.nextInt(5)]);
      ByteBuffer both = ByteBuffer.allocate(batches.remaining() + second.remaining());
      batches = both.put(batches).put(second).flip();
    }
    ProduceRequest.Builder b = ProduceRequest.newBuilder().setTopic(topic).setPartition(partition(topic))
        .setRecordBatches(ByteString.copyFrom(batches)).setAcks(acks()).setTimeoutMs(random.nextInt(3) == 0 ? -5 : 5000);
    if (random.nextInt(30) == 0) {
      b.setCompressionValue(random.nextInt(9)); // meaningless with batches
    }
    return b.build();
  }

  private ProduceRequest plainProduceRequest() {
    String topic = topic();
    RecordList.Builder records = RecordList.newBuilder();
    for (int i = random.nextInt(12); i >= 0; i--) {
      Record.Builder r = Record.newBuilder();
      if (random.nextBoolean()) {
        r.setKey(ByteString.copyFrom(bytes(random.nextInt(20))));
      }
      if (random.nextInt(6) != 0) {
        r.setValue(ByteString.copyFrom(bytes(random.nextInt(random.nextInt(10) == 0 ? 6000 : 100))));
      }
      for (int h = random.nextInt(3) == 0 ? random.nextInt(4) : 0; h > 0; h--) {
        io.brook.proto.v1.Header.Builder hb = io.brook.proto.v1.Header.newBuilder().setKey(random.nextBoolean() ? "h" + h : "ключ");
        if (random.nextBoolean()) {
          hb.setValue(ByteString.copyFrom(bytes(3)));
        }
        r.addHeaders(hb);
      }
      r.setTimestampMs(random.nextInt(3) == 0 ? 0 : random.nextInt(5) == 0 ? -1 - random.nextInt(10) : 1_700_000_000_000L + i);
      records.addRecords(r);
    }
    return ProduceRequest.newBuilder().setTopic(topic).setPartition(partition(topic)).setRecords(records)
        .setCompressionValue(random.nextInt(7)).setAcks(acks()).build();
  }

  private FetchRequest fetchRequest() {
    String topic = topic();
    long[] offsets = {0, 1, random.nextInt(2000), -1, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40};
    int[] maxBytes = {0, 1, 100, 1 << 20, -1, Integer.MAX_VALUE, 64 << 20};
    return FetchRequest.newBuilder().setTopic(topic).setPartition(partition(topic))
        .setOffset(offsets[random.nextInt(offsets.length)]).setMaxBytes(maxBytes[random.nextInt(maxBytes.length)])
        .setMaxWaitMs(random.nextInt(4) == 0 ? random.nextInt(30) : 0).setMinBytes(random.nextInt(3) - 1)
        .setFormatValue(random.nextInt(4)).build();
  }

  private ListOffsetsRequest listOffsetsRequest() {
    String topic = topic();
    long[] times = {0, -1, -2, 1_700_000_000_000L, Long.MAX_VALUE, Long.MIN_VALUE};
    return ListOffsetsRequest.newBuilder().setTopic(topic).setPartition(partition(topic)).setSpecValue(random.nextInt(5))
        .setTimestampMs(times[random.nextInt(times.length)]).build();
  }

  private MetadataRequest metadataRequest() {
    MetadataRequest.Builder b = MetadataRequest.newBuilder();
    for (int i = random.nextInt(4); i > 0; i--) {
      b.addTopics(random.nextBoolean() ? topic() : randomName());
    }
    return b.build();
  }

  /** Admin requests that are refused or change nothing (see the class comment). */
  private Input adminRequest() {
    String[] keys = {"retention.ms", "cleanup.policy", "max.message.bytes", "segment.bytes", "min.insync.replicas",
        "no.such.key", "", "x".repeat(3000)};
    String[] values = {"-5", "abc", "", "compact,delete", "99999999999999999999", "1", "\u0000"};
    return switch (random.nextInt(7)) {
      case 0 -> {
        CreateTopicRequest.Builder b = CreateTopicRequest.newBuilder().setValidateOnly(true)
            .setName(random.nextBoolean() ? randomName() : "fz-" + random.nextInt(100))
            .setPartitions(random.nextInt(3) - 1 + (random.nextInt(10) == 0 ? 200_000 : 0))
            .setReplicationFactor(random.nextInt(4) - 1);
        for (int i = random.nextInt(3); i > 0; i--) {
          b.putConfigs(keys[random.nextInt(keys.length)], values[random.nextInt(values.length)]);
        }
        yield new Input("admin create (validate only)", ADMIN + "CreateTopic", b.build().toByteArray());
      }
      case 1 -> new Input("admin delete", ADMIN + "DeleteTopic",
          DeleteTopicRequest.newBuilder().setName(randomName()).build().toByteArray());
      case 2 -> new Input("admin describe", ADMIN + "DescribeTopic", DescribeTopicRequest.newBuilder()
          .setName(random.nextBoolean() ? topic() : randomName()).build().toByteArray());
      case 3 -> {
        String name = random.nextBoolean() ? "fuzz" : randomName();
        int[] totals = {-1, 0, 1, 3, 100_001, Integer.MAX_VALUE}; // never a real increase
        yield new Input("admin create partitions", ADMIN + "CreatePartitions", CreatePartitionsRequest.newBuilder()
            .setName(name).setTotalPartitions(totals[random.nextInt(totals.length)]).build().toByteArray());
      }
      case 4 -> {
        // Real changes only on fuzz-alter, which takes no produce; on others only keys that do not exist.
        boolean alterTarget = random.nextBoolean();
        AlterTopicConfigRequest.Builder b = AlterTopicConfigRequest.newBuilder()
            .setName(alterTarget ? "fuzz-alter" : random.nextBoolean() ? "fuzz" : randomName());
        for (int i = random.nextInt(3); i > 0; i--) {
          String key = alterTarget ? keys[random.nextInt(keys.length)] : "no.such.key" + i;
          if (random.nextBoolean()) {
            b.putSet(key, values[random.nextInt(values.length)]);
          } else {
            b.addDelete(key);
          }
        }
        yield new Input("admin alter config", ADMIN + "AlterTopicConfig", b.build().toByteArray());
      }
      case 5 -> new Input("admin list", ADMIN + "ListTopics", ListTopicsRequest.newBuilder()
          .setIncludeInternal(random.nextBoolean()).build().toByteArray());
      default -> new Input("admin describe cluster", ADMIN + "DescribeCluster", DescribeClusterRequest.getDefaultInstance().toByteArray());
    };
  }

  /**
   * A serialized broker request mutated byte by byte. Admin requests are left out: a mutation could
   * turn a refused request into a real change (a topic with 100,000 partitions).
   */
  private Input mutatedBytes() {
    int k = random.nextInt(10);
    String method;
    byte[] b;
    if (k < 5) {
      method = BROKER + "Produce";
      b = (random.nextInt(3) == 0 ? plainProduceRequest() : produceRequest()).toByteArray();
    } else if (k < 8) {
      method = BROKER + "Fetch";
      b = fetchRequest().toByteArray();
    } else if (k < 9) {
      method = BROKER + "ListOffsets";
      b = listOffsetsRequest().toByteArray();
    } else {
      method = BROKER + "Metadata";
      b = metadataRequest().toByteArray();
    }
    for (int r = 1 + random.nextInt(3); r > 0; r--) {
      b = mutateBytes(b);
    }
    return new Input("mutated bytes", method, b);
  }

  private byte[] mutateBytes(byte[] in) {
    if (in.length == 0) {
      return bytes(1 + random.nextInt(8));
    }
    int pos = random.nextInt(in.length);
    byte[] out;
    switch (random.nextInt(7)) {
      case 0 -> {
        out = in.clone();
        out[pos] ^= (byte) (1 << random.nextInt(8));
      }
      case 1 -> {
        out = in.clone();
        out[pos] = (byte) random.nextInt(256);
      }
      case 2 -> out = Arrays.copyOf(in, pos);
      case 3 -> {
        byte[] ins = random.nextBoolean() ? bytes(1 + random.nextInt(6))
            : new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F}; // a varint: -1 / huge length
        out = new byte[in.length + ins.length];
        System.arraycopy(in, 0, out, 0, pos);
        System.arraycopy(ins, 0, out, pos, ins.length);
        System.arraycopy(in, pos, out, pos + ins.length, in.length - pos);
      }
      case 4 -> {
        int n = Math.min(in.length - pos, 1 + random.nextInt(16));
        out = new byte[in.length - n];
        System.arraycopy(in, 0, out, 0, pos);
        System.arraycopy(in, pos + n, out, pos, in.length - pos - n);
      }
      case 5 -> { // a field repeated: proto3 keeps the last value of a scalar, merges messages
        int n = Math.min(in.length - pos, 1 + random.nextInt(24));
        out = Arrays.copyOf(in, in.length + n);
        System.arraycopy(in, pos, out, in.length, n);
      }
      default -> {
        out = in.clone();
        out[pos] = (byte) (0x80 | random.nextInt(128)); // a varint that goes on
      }
    }
    return out;
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }
}

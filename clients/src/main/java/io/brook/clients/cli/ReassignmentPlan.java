package io.brook.clients.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.brook.storage.TopicPartition;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A partition reassignment plan in the JSON format of Kafka's {@code kafka-reassign-partitions.sh}
 * ({@code {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2,3]}]}}; Kafka's
 * optional {@code log_dirs} are accepted and ignored: a Brook broker has one log directory), and
 * the {@code --generate} proposal. Pure functions; no I/O.
 */
public final class ReassignmentPlan {
  private ReassignmentPlan() {
  }

  /**
   * Parses a plan.
   *
   * @return partition to target replicas, in file order
   * @throws IllegalArgumentException naming what is wrong: not JSON, version other than 1, an entry
   *     without topic, partition or replicas, a negative or repeated partition or broker id
   */
  public static Map<TopicPartition, List<Integer>> parse(String json) {
    JsonObject root;
    try {
      JsonElement e = JsonParser.parseString(json);
      if (!e.isJsonObject()) {
        throw new IllegalArgumentException("the plan must be a JSON object {\"version\":1,\"partitions\":[...]}");
      }
      root = e.getAsJsonObject();
    } catch (JsonParseException e) {
      // Gson wraps the parser's own message (e.g. "End of input at line 1 column 42 path $.x") in the cause's toString.
      String why = e.getCause() != null && e.getCause().getMessage() != null ? e.getCause().getMessage() : e.getMessage();
      throw new IllegalArgumentException("the plan is not valid JSON: " + why);
    }
    if (root.has("version") && !(root.get("version").isJsonPrimitive() && root.get("version").getAsInt() == 1)) {
      throw new IllegalArgumentException("unsupported plan version " + root.get("version") + "; only version 1 is known");
    }
    if (!root.has("partitions") || !root.get("partitions").isJsonArray()) {
      throw new IllegalArgumentException("the plan has no \"partitions\" array");
    }
    Map<TopicPartition, List<Integer>> out = new LinkedHashMap<>();
    int i = 0;
    for (JsonElement el : root.getAsJsonArray("partitions")) {
      String where = "partitions[" + i++ + "]";
      if (!el.isJsonObject()) {
        throw new IllegalArgumentException(where + " is not an object");
      }
      JsonObject o = el.getAsJsonObject();
      String topic = string(o, "topic", where);
      int partition = integer(o.get("partition"), where + ".partition");
      if (partition < 0) {
        throw new IllegalArgumentException(where + ".partition must be >= 0, got " + partition);
      }
      if (!o.has("replicas") || !o.get("replicas").isJsonArray() || o.getAsJsonArray("replicas").isEmpty()) {
        throw new IllegalArgumentException(where + " (" + topic + "-" + partition + ") needs a non-empty \"replicas\" array");
      }
      List<Integer> replicas = new ArrayList<>();
      for (JsonElement r : o.getAsJsonArray("replicas")) {
        int id = integer(r, where + ".replicas");
        if (id < 0 || replicas.contains(id)) {
          throw new IllegalArgumentException(where + " (" + topic + "-" + partition + "): replica " + id
              + (id < 0 ? " is not a broker id" : " is repeated"));
        }
        replicas.add(id);
      }
      if (out.put(new TopicPartition(topic, partition), List.copyOf(replicas)) != null) {
        throw new IllegalArgumentException(topic + "-" + partition + " appears twice in the plan");
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("the plan names no partitions");
    }
    return out;
  }

  /** The plan as Kafka's tools print it (one line, partitions sorted by topic then partition). */
  public static String format(Map<TopicPartition, List<Integer>> plan) {
    JsonArray partitions = new JsonArray();
    plan.entrySet().stream().sorted(Map.Entry.comparingByKey(
            Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition)))
        .forEach(e -> {
          JsonObject o = new JsonObject();
          o.addProperty("topic", e.getKey().topic());
          o.addProperty("partition", e.getKey().partition());
          JsonArray replicas = new JsonArray();
          e.getValue().forEach(replicas::add);
          o.add("replicas", replicas);
          partitions.add(o);
        });
    JsonObject root = new JsonObject();
    root.addProperty("version", 1);
    root.add("partitions", partitions);
    return root.toString();
  }

  /**
   * Proposes an assignment of {@code current}'s partitions over {@code brokers} with few replica
   * moves: each partition keeps its replication factor; replicas on brokers left out of the list
   * move to the least-loaded listed brokers; then, while the most-loaded broker holds two or more
   * replicas more than the least-loaded one, one replica moves from the first to the second (from
   * the first partition, in topic and partition order, that has the one and not the other). Each
   * move is one the balance needs, so a balanced cluster gets an unchanged plan. The first replica
   * (preferred leader) of each partition is then the member that leads the fewest partitions so
   * far, so leadership spreads over new brokers too.
   *
   * @param current partition to current replicas
   * @param brokers the brokers to spread over (distinct)
   * @throws IllegalArgumentException if a partition has more replicas than there are brokers
   */
  public static Map<TopicPartition, List<Integer>> generate(Map<TopicPartition, List<Integer>> current, List<Integer> brokers) {
    Map<TopicPartition, List<Integer>> sorted = new TreeMap<>(
        Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
    sorted.putAll(current);
    Map<Integer, Integer> load = new HashMap<>();
    brokers.forEach(b -> load.put(b, 0));
    Map<TopicPartition, List<Integer>> chosen = new LinkedHashMap<>();
    for (Map.Entry<TopicPartition, List<Integer>> e : sorted.entrySet()) {
      if (e.getValue().size() > brokers.size()) {
        throw new IllegalArgumentException(e.getKey() + " has " + e.getValue().size() + " replicas but only "
            + brokers.size() + " brokers are listed");
      }
      List<Integer> keep = new ArrayList<>();
      for (int r : e.getValue()) {
        if (load.containsKey(r)) {
          keep.add(r);
          load.merge(r, 1, Integer::sum);
        }
      }
      chosen.put(e.getKey(), keep);
    }
    // Replicas of brokers left out: to the least-loaded listed brokers the partition lacks.
    for (Map.Entry<TopicPartition, List<Integer>> e : sorted.entrySet()) {
      List<Integer> set = chosen.get(e.getKey());
      while (set.size() < e.getValue().size()) {
        int best = brokers.stream().filter(b -> !set.contains(b))
            .min(Comparator.comparingInt((Integer b) -> load.get(b)).thenComparingInt(b -> b)).orElseThrow();
        set.add(best);
        load.merge(best, 1, Integer::sum);
      }
    }
    // Balance: one move at a time from the most- to the least-loaded broker that can take it.
    List<Integer> byLoad = new ArrayList<>(brokers);
    boolean moved = true;
    while (moved) {
      moved = false;
      byLoad.sort(Comparator.comparingInt((Integer b) -> load.get(b)).thenComparingInt(b -> b));
      search:
      for (int hi = byLoad.size() - 1; hi > 0; hi--) {
        for (int lo = 0; lo < hi; lo++) {
          int from = byLoad.get(hi);
          int to = byLoad.get(lo);
          if (load.get(from) - load.get(to) < 2) {
            break;
          }
          for (List<Integer> set : chosen.values()) {
            if (set.contains(from) && !set.contains(to)) {
              set.set(set.indexOf(from), to);
              load.merge(from, -1, Integer::sum);
              load.merge(to, 1, Integer::sum);
              moved = true;
              break search;
            }
          }
        }
      }
    }
    Map<Integer, Integer> leads = new HashMap<>();
    Map<TopicPartition, List<Integer>> out = new LinkedHashMap<>();
    for (Map.Entry<TopicPartition, List<Integer>> e : chosen.entrySet()) {
      List<Integer> replicas = new ArrayList<>(e.getValue());
      int leader = replicas.stream().min(Comparator.comparingInt((Integer b) -> leads.getOrDefault(b, 0))
          .thenComparingInt(replicas::indexOf)).orElseThrow();
      replicas.remove(Integer.valueOf(leader));
      replicas.add(0, leader);
      leads.merge(leader, 1, Integer::sum);
      out.put(e.getKey(), List.copyOf(replicas));
    }
    return out;
  }

  /** The partitions of {@code plan} whose target differs from {@code current} (same order). */
  public static Map<TopicPartition, List<Integer>> changes(Map<TopicPartition, List<Integer>> plan,
                                                           Map<TopicPartition, List<Integer>> current) {
    Map<TopicPartition, List<Integer>> out = new LinkedHashMap<>();
    plan.forEach((tp, r) -> {
      if (!r.equals(current.get(tp))) {
        out.put(tp, r);
      }
    });
    return out;
  }

  /** Brokers named in {@code plan}. */
  static Set<Integer> brokers(Map<TopicPartition, List<Integer>> plan) {
    Set<Integer> out = new HashSet<>();
    plan.values().forEach(out::addAll);
    return out;
  }

  private static String string(JsonObject o, String key, String where) {
    JsonElement e = o.get(key);
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString() || e.getAsString().isEmpty()) {
      throw new IllegalArgumentException(where + " needs a \"" + key + "\" string");
    }
    return e.getAsString();
  }

  private static int integer(JsonElement e, String where) {
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      throw new IllegalArgumentException(where + " must be an integer");
    }
    double d = e.getAsDouble();
    if (d != Math.rint(d) || d > Integer.MAX_VALUE || d < Integer.MIN_VALUE) {
      throw new IllegalArgumentException(where + " must be an integer, got " + e);
    }
    return (int) d;
  }
}

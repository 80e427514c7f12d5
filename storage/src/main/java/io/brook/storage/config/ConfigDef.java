package io.brook.storage.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * A set of configuration keys, each with a name, a type, a default, a check and a line of
 * documentation (Kafka's {@code ConfigDef}, Ratis's {@code ConfigKeys}). {@link #parse} turns raw
 * string properties into checked, typed {@link Values}, rejecting unknown keys, so a typo in a
 * config file is an error rather than a silently ignored setting. The docs table is generated from
 * the definitions ({@link #toMarkdownTable()}) and a test keeps {@code docs/} in step.
 *
 * <p>Immutable once built; safe to share.
 */
public final class ConfigDef {

  /** A value type with its parser from the string form. */
  public record Type<T>(String name, Function<String, T> parser) {
    public static final Type<Integer> INT = new Type<>("int", s -> Integer.parseInt(s.trim()));
    public static final Type<Long> LONG = new Type<>("long", s -> Long.parseLong(s.trim()));
    public static final Type<String> STRING = new Type<>("string", String::trim);
    public static final Type<Boolean> BOOLEAN =
        new Type<>(
            "boolean",
            s -> {
              String v = s.trim().toLowerCase(Locale.ROOT);
              if (!v.equals("true") && !v.equals("false")) {
                throw new IllegalArgumentException("not a boolean");
              }
              return Boolean.valueOf(v);
            });
    public static final Type<List<String>> LIST =
        new Type<>(
            "list",
            s ->
                s.isBlank()
                    ? List.of()
                    : Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList());
  }

  /** A check on a typed value; {@link #describe()} is shown in docs and error messages. */
  public interface Check<T> {
    /** Null if the value is acceptable, else what is wrong with it. */
    String problem(T value);

    String describe();

    static <N extends Number> Check<N> atLeast(long min) {
      return new Check<>() {
        @Override
        public String problem(N v) {
          return v.longValue() >= min ? null : "must be at least " + min;
        }

        @Override
        public String describe() {
          return ">= " + min;
        }
      };
    }

    static <N extends Number> Check<N> between(long min, long max) {
      return new Check<>() {
        @Override
        public String problem(N v) {
          return v.longValue() >= min && v.longValue() <= max ? null : "must be in [" + min + ", " + max + "]";
        }

        @Override
        public String describe() {
          return "[" + min + ", " + max + "]";
        }
      };
    }

    static Check<String> oneOf(String... allowed) {
      Set<String> set = Set.of(allowed);
      return new Check<>() {
        @Override
        public String problem(String v) {
          return set.contains(v) ? null : "must be one of " + String.join(", ", allowed);
        }

        @Override
        public String describe() {
          return "one of " + String.join(", ", allowed);
        }
      };
    }

    /** Every element of a list is one of {@code allowed}, and the list is not empty. */
    static Check<List<String>> subsetOf(String... allowed) {
      Set<String> set = Set.of(allowed);
      return new Check<>() {
        @Override
        public String problem(List<String> v) {
          if (v.isEmpty()) {
            return "must name at least one of " + String.join(", ", allowed);
          }
          for (String s : v) {
            if (!set.contains(s)) {
              return "'" + s + "' is not one of " + String.join(", ", allowed);
            }
          }
          return null;
        }

        @Override
        public String describe() {
          return "list of " + String.join(", ", allowed);
        }
      };
    }

    static <T> Check<T> any() {
      return new Check<>() {
        @Override
        public String problem(T v) {
          return null;
        }

        @Override
        public String describe() {
          return "";
        }
      };
    }
  }

  /** One configuration key. */
  public record Key<T>(String name, Type<T> type, T defaultValue, Check<? super T> check, String doc) {
    T parse(Object raw) {
      T value;
      if (raw instanceof String s) {
        try {
          value = type.parser().apply(s);
        } catch (RuntimeException e) {
          throw new ConfigException(
              "invalid value '" + s + "' for " + name + ": expected a " + type.name());
        }
      } else {
        @SuppressWarnings("unchecked")
        T typed = (T) raw;
        value = typed;
      }
      String problem = check.problem(value);
      if (problem != null) {
        throw new ConfigException("invalid value '" + raw + "' for " + name + ": " + problem);
      }
      return value;
    }

    String defaultString() {
      if (defaultValue instanceof List<?> l) {
        return String.join(",", l.stream().map(String::valueOf).toList());
      }
      return String.valueOf(defaultValue);
    }
  }

  /** Checked, typed values for every key of a {@link ConfigDef} (defaults filled in). */
  public static final class Values {
    private final Map<String, Object> values;
    private final Set<String> explicit;

    private Values(Map<String, Object> values, Set<String> explicit) {
      this.values = Collections.unmodifiableMap(values);
      this.explicit = Collections.unmodifiableSet(explicit);
    }

    public <T> T get(Key<T> key) {
      @SuppressWarnings("unchecked")
      T v = (T) values.get(key.name());
      if (v == null && !values.containsKey(key.name())) {
        throw new IllegalArgumentException("key " + key.name() + " is not part of this config");
      }
      return v;
    }

    /** Keys set explicitly (not defaulted), in definition order. */
    public Set<String> explicitKeys() {
      return explicit;
    }

    /** Every value in its string form, keyed by name (for display and round trips). */
    public Map<String, String> asStrings() {
      Map<String, String> out = new LinkedHashMap<>();
      values.forEach(
          (k, v) ->
              out.put(k, v instanceof List<?> l ? String.join(",", l.stream().map(String::valueOf).toList()) : String.valueOf(v)));
      return out;
    }
  }

  private final Map<String, Key<?>> keys;

  private ConfigDef(Map<String, Key<?>> keys) {
    this.keys = Collections.unmodifiableMap(keys);
  }

  public static Builder builder() {
    return new Builder();
  }

  public Collection<Key<?>> keys() {
    return keys.values();
  }

  public boolean contains(String name) {
    return keys.containsKey(name);
  }

  /**
   * Checks and types {@code raw} (string values are parsed; typed values are checked as they are).
   *
   * @throws ConfigException for an unknown key or a bad value, naming the key and the problem
   */
  public Values parse(Map<String, ?> raw) {
    Set<String> unknown = new TreeSet<>(raw.keySet());
    unknown.removeAll(keys.keySet());
    if (!unknown.isEmpty()) {
      throw new ConfigException("unknown configuration key(s): " + String.join(", ", unknown));
    }
    Map<String, Object> values = new LinkedHashMap<>();
    Set<String> explicit = new LinkedHashSet<>();
    for (Key<?> key : keys.values()) {
      Object v = raw.get(key.name());
      if (v == null) {
        values.put(key.name(), key.defaultValue());
      } else {
        values.put(key.name(), key.parse(v));
        explicit.add(key.name());
      }
    }
    return new Values(values, explicit);
  }

  /** A Markdown table of every key: name, type, default, valid values, doc. */
  public String toMarkdownTable() {
    StringBuilder sb = new StringBuilder();
    sb.append("| key | type | default | valid values | description |\n");
    sb.append("| --- | --- | --- | --- | --- |\n");
    for (Key<?> k : keys.values()) {
      sb.append("| `")
          .append(k.name())
          .append("` | ")
          .append(k.type().name())
          .append(" | `")
          .append(k.defaultString())
          .append("` | ")
          .append(k.check().describe())
          .append(" | ")
          .append(k.doc())
          .append(" |\n");
    }
    return sb.toString();
  }

  /** Collects key definitions; names must be unique and defaults must pass their checks. */
  public static final class Builder {
    private final Map<String, Key<?>> keys = new LinkedHashMap<>();
    private final List<String> errors = new ArrayList<>();

    public <T> Key<T> define(String name, Type<T> type, T defaultValue, Check<? super T> check, String doc) {
      Key<T> key = new Key<>(name, type, defaultValue, check, doc);
      if (keys.putIfAbsent(name, key) != null) {
        errors.add("duplicate key " + name);
      }
      String problem = check.problem(defaultValue);
      if (problem != null) {
        errors.add("default of " + name + " " + problem);
      }
      return key;
    }

    /** Adds every key of {@code other} (for a definition that extends another). */
    public Builder include(ConfigDef other) {
      for (Key<?> k : other.keys()) {
        if (keys.putIfAbsent(k.name(), k) != null) {
          errors.add("duplicate key " + k.name());
        }
      }
      return this;
    }

    public ConfigDef build() {
      if (!errors.isEmpty()) {
        throw new IllegalStateException(String.join("; ", errors));
      }
      return new ConfigDef(new LinkedHashMap<>(keys));
    }
  }
}

package io.brook.clients.cli;

import io.brook.clients.admin.Admin;
import io.brook.proto.v1.AclBinding;
import io.brook.proto.v1.AclBindingFilter;
import io.brook.proto.v1.AclOperation;
import io.brook.proto.v1.AclPatternType;
import io.brook.proto.v1.AclPermissionType;
import io.brook.proto.v1.AclResourceType;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code brook acls add|list|remove}, with the flags of Kafka's {@code kafka-acls.sh}: {@code
 * --allow-principal User:alice --allow-host 10.0.0.1 --operation Read --topic T
 * --resource-pattern-type prefixed}, {@code --deny-principal}, {@code --group G}, {@code
 * --cluster}. The semantics are Kafka's (docs/security.md).
 */
@Command(name = "acls", mixinStandardHelpOptions = true,
    description = "Access control lists (Kafka's model: principal, host, operation, resource, allow or deny; deny wins).",
    subcommands = {AclsCommand.Add.class, AclsCommand.ListAcls.class, AclsCommand.Remove.class})
public final class AclsCommand implements Runnable {
  /** The one cluster resource's name (Kafka's). */
  static final String CLUSTER_NAME = "kafka-cluster";
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The resource options every subcommand shares. */
  static final class Resources {
    @Option(names = "--topic", paramLabel = "TOPIC", description = "A topic (a name, a prefix with prefixed, or * for every topic).")
    List<String> topics = new ArrayList<>();
    @Option(names = "--group", paramLabel = "GROUP", description = "A consumer group (a name, a prefix, or *).")
    List<String> groups = new ArrayList<>();
    @Option(names = "--cluster", description = "The cluster resource.") boolean cluster;

    /** (type, name) pairs named on the command line. */
    List<Object[]> named() {
      List<Object[]> out = new ArrayList<>();
      topics.forEach(t -> out.add(new Object[] {AclResourceType.ACL_RESOURCE_TYPE_TOPIC, t}));
      groups.forEach(g -> out.add(new Object[] {AclResourceType.ACL_RESOURCE_TYPE_GROUP, g}));
      if (cluster) {
        out.add(new Object[] {AclResourceType.ACL_RESOURCE_TYPE_CLUSTER, CLUSTER_NAME});
      }
      return out;
    }
  }

  /** Principals, hosts and operations of add and remove. */
  static final class Entries {
    @Option(names = "--allow-principal", paramLabel = "PRINCIPAL", description = "Type:name, e.g. User:alice or User:* (repeatable).")
    List<String> allowPrincipals = new ArrayList<>();
    @Option(names = "--deny-principal", paramLabel = "PRINCIPAL", description = "Type:name to deny (repeatable).")
    List<String> denyPrincipals = new ArrayList<>();
    @Option(names = "--allow-host", paramLabel = "HOST", description = "IP address the allowed principals may connect from (default: * for add).")
    List<String> allowHosts = new ArrayList<>();
    @Option(names = "--deny-host", paramLabel = "HOST", description = "IP address the denied principals are denied from (default: * for add).")
    List<String> denyHosts = new ArrayList<>();
    @Option(names = "--operation", paramLabel = "OPERATION", description = "Read, Write, Create, Delete, Alter, Describe,"
        + " DescribeConfigs, AlterConfigs, ClusterAction or All (repeatable; default: All for add).")
    List<String> operations = new ArrayList<>();
  }

  static AclOperation operation(CommandSpec spec, String name) {
    String n = name.replace("_", "").replace("-", "").toUpperCase(Locale.ROOT);
    for (AclOperation op : AclOperation.values()) {
      if (op != AclOperation.UNRECOGNIZED && op != AclOperation.ACL_OPERATION_UNSPECIFIED
          && op.name().substring("ACL_OPERATION_".length()).replace("_", "").equals(n)) {
        return op;
      }
    }
    throw new ParameterException(spec.commandLine(), "--operation: unknown operation '" + name + "' (use Read, Write,"
        + " Create, Delete, Alter, Describe, DescribeConfigs, AlterConfigs, ClusterAction or All)");
  }

  static AclPatternType patternType(CommandSpec spec, String name, boolean filter) {
    switch (name.toLowerCase(Locale.ROOT)) {
      case "literal": return AclPatternType.ACL_PATTERN_TYPE_LITERAL;
      case "prefixed": return AclPatternType.ACL_PATTERN_TYPE_PREFIXED;
      case "match": if (filter) { return AclPatternType.ACL_PATTERN_TYPE_MATCH; } break;
      case "any": if (filter) { return AclPatternType.ACL_PATTERN_TYPE_UNSPECIFIED; } break;
      default: break;
    }
    throw new ParameterException(spec.commandLine(), "--resource-pattern-type: '" + name + "' is not one of "
        + (filter ? "any, match, literal, prefixed" : "literal, prefixed"));
  }

  /** Kafka's display of a binding. */
  static String display(AclBinding b) {
    return String.format("%s\t%s\t%s\t%s\t%s\t%s\t%s", b.getResourceType().name().substring("ACL_RESOURCE_TYPE_".length()),
        b.getResourceName(), b.getPatternType().name().substring("ACL_PATTERN_TYPE_".length()), b.getPrincipal(), b.getHost(),
        b.getOperation().name().substring("ACL_OPERATION_".length()),
        b.getPermissionType().name().substring("ACL_PERMISSION_TYPE_".length()));
  }

  static void print(PrintWriter out, List<AclBinding> acls) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(List.of("RESOURCE-TYPE", "NAME", "PATTERN-TYPE", "PRINCIPAL", "HOST", "OPERATION", "PERMISSION"));
    for (AclBinding b : acls) {
      rows.add(List.of(display(b).split("\t")));
    }
    out.print(GroupsCommand.table(rows));
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = "Add ACLs: every principal x host x operation on every named resource, all in one change.")
  static final class Add implements Runnable {
    @Mixin ClientOptions client;
    @Spec CommandSpec spec;
    @Mixin Resources resources;
    @Mixin Entries entries;
    @Option(names = "--resource-pattern-type", defaultValue = "literal",
        description = "literal or prefixed (default: ${DEFAULT-VALUE}).") String patternType;
    @Option(names = "--producer", description = "Kafka's convenience: Write, Describe and Create on the --topic(s).")
    boolean producer;
    @Option(names = "--consumer", description = "Kafka's convenience: Read and Describe on the --topic(s), Read on the --group(s).")
    boolean consumer;

    @Override
    public void run() {
      AclPatternType pt = patternType(spec, patternType, false);
      if (resources.named().isEmpty()) {
        throw new ParameterException(spec.commandLine(), "name a resource: --topic, --group or --cluster");
      }
      if (entries.allowPrincipals.isEmpty() && entries.denyPrincipals.isEmpty()) {
        throw new ParameterException(spec.commandLine(), "name a principal: --allow-principal or --deny-principal");
      }
      if ((producer || consumer) && !entries.operations.isEmpty()) {
        throw new ParameterException(spec.commandLine(), "--producer and --consumer choose the operations: drop --operation");
      }
      if (consumer && !resources.topics.isEmpty() && resources.groups.isEmpty()) {
        throw new ParameterException(spec.commandLine(), "--consumer needs --group as well as --topic");
      }
      List<AclOperation> ops = entries.operations.isEmpty() ? List.of(AclOperation.ACL_OPERATION_ALL)
          : entries.operations.stream().map(o -> operation(spec, o)).distinct().toList();
      List<AclBinding> acls = new ArrayList<>();
      for (Object[] r : resources.named()) {
        List<AclOperation> these = ops;
        if (producer || consumer) {
          java.util.LinkedHashSet<AclOperation> set = new java.util.LinkedHashSet<>();
          boolean topic = r[0] == AclResourceType.ACL_RESOURCE_TYPE_TOPIC;
          boolean group = r[0] == AclResourceType.ACL_RESOURCE_TYPE_GROUP;
          if (producer && topic) {
            set.addAll(List.of(AclOperation.ACL_OPERATION_WRITE, AclOperation.ACL_OPERATION_DESCRIBE,
                AclOperation.ACL_OPERATION_CREATE));
          }
          if (consumer && topic) {
            set.addAll(List.of(AclOperation.ACL_OPERATION_READ, AclOperation.ACL_OPERATION_DESCRIBE));
          }
          if (consumer && group) {
            set.add(AclOperation.ACL_OPERATION_READ);
          }
          these = List.copyOf(set);
        }
        add(acls, r, pt, entries.allowPrincipals, entries.allowHosts, these, AclPermissionType.ACL_PERMISSION_TYPE_ALLOW);
        add(acls, r, pt, entries.denyPrincipals, entries.denyHosts, these, AclPermissionType.ACL_PERMISSION_TYPE_DENY);
      }
      try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs(), client.security())) {
        admin.createAcls(acls);
      }
      PrintWriter out = spec.commandLine().getOut();
      out.println("Added ACLs:");
      print(out, acls);
      out.flush();
    }

    private static void add(List<AclBinding> acls, Object[] resource, AclPatternType pt, List<String> principals,
                            List<String> hosts, List<AclOperation> ops, AclPermissionType permission) {
      for (String p : principals) {
        for (String h : hosts.isEmpty() ? List.of("*") : hosts) {
          for (AclOperation op : ops) {
            acls.add(AclBinding.newBuilder().setResourceType((AclResourceType) resource[0]).setResourceName((String) resource[1])
                .setPatternType(pt).setPrincipal(p).setHost(h).setOperation(op).setPermissionType(permission).build());
          }
        }
      }
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "List ACLs: all, or those on the named resources (pattern type any by default; match lists every"
          + " ACL that applies to the resource, wildcard and prefixed ones included).")
  static final class ListAcls implements Runnable {
    @Mixin ClientOptions client;
    @Spec CommandSpec spec;
    @Mixin Resources resources;
    @Option(names = "--principal", paramLabel = "PRINCIPAL", description = "Only ACLs of this principal.") String principal;
    @Option(names = "--resource-pattern-type", defaultValue = "any",
        description = "any, match, literal or prefixed (default: ${DEFAULT-VALUE}).") String patternType;
    @Option(names = "--output", defaultValue = "text", description = "text or json.") OutputFormat output;

    @Override
    public void run() {
      AclPatternType pt = patternType(spec, patternType, true);
      List<AclBindingFilter> filters = new ArrayList<>();
      for (Object[] r : resources.named()) {
        filters.add(AclBindingFilter.newBuilder().setResourceType((AclResourceType) r[0]).setResourceName((String) r[1])
            .setPatternType(pt).setPrincipal(principal == null ? "" : principal).build());
      }
      if (filters.isEmpty()) {
        filters.add(AclBindingFilter.newBuilder().setPatternType(pt).setPrincipal(principal == null ? "" : principal).build());
      }
      List<AclBinding> acls = new ArrayList<>();
      try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs(), client.security())) {
        for (AclBindingFilter f : filters) {
          admin.describeAcls(f).stream().filter(b -> !acls.contains(b)).forEach(acls::add);
        }
      }
      PrintWriter out = spec.commandLine().getOut();
      if (output == OutputFormat.json) {
        out.println(acls.stream().map(OutputFormat::toJson).collect(Collectors.joining(",", "[", "]")));
      } else {
        print(out, acls);
      }
      out.flush();
    }
  }

  @Command(name = "remove", mixinStandardHelpOptions = true,
      description = {"Remove the ACLs on the named resources that match the principals, hosts and operations given",
          "(one not given matches any: without principals every ACL of the resource goes). Prints what was removed."})
  static final class Remove implements Runnable {
    @Mixin ClientOptions client;
    @Spec CommandSpec spec;
    @Mixin Resources resources;
    @Mixin Entries entries;
    @Option(names = "--resource-pattern-type", defaultValue = "literal",
        description = "literal or prefixed (default: ${DEFAULT-VALUE}).") String patternType;

    @Override
    public void run() {
      AclPatternType pt = patternType(spec, patternType, false);
      if (resources.named().isEmpty()) {
        throw new ParameterException(spec.commandLine(), "name a resource: --topic, --group or --cluster");
      }
      List<AclOperation> ops = entries.operations.isEmpty() ? List.of(AclOperation.ACL_OPERATION_UNSPECIFIED)
          : entries.operations.stream().map(o -> operation(spec, o)).distinct().toList();
      List<AclBindingFilter> filters = new ArrayList<>();
      for (Object[] r : resources.named()) {
        AclBindingFilter base = AclBindingFilter.newBuilder().setResourceType((AclResourceType) r[0])
            .setResourceName((String) r[1]).setPatternType(pt).build();
        if (entries.allowPrincipals.isEmpty() && entries.denyPrincipals.isEmpty()) {
          for (AclOperation op : ops) {
            filters.add(base.toBuilder().setOperation(op).build());
          }
        }
        add(filters, base, entries.allowPrincipals, entries.allowHosts, ops, AclPermissionType.ACL_PERMISSION_TYPE_ALLOW);
        add(filters, base, entries.denyPrincipals, entries.denyHosts, ops, AclPermissionType.ACL_PERMISSION_TYPE_DENY);
      }
      List<AclBinding> removed;
      try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs(), client.security())) {
        removed = admin.deleteAcls(filters);
      }
      PrintWriter out = spec.commandLine().getOut();
      out.println("Removed ACLs:");
      print(out, removed);
      out.flush();
    }

    private static void add(List<AclBindingFilter> filters, AclBindingFilter base, List<String> principals,
                            List<String> hosts, List<AclOperation> ops, AclPermissionType permission) {
      for (String p : principals) {
        for (String h : hosts.isEmpty() ? List.of("") : hosts) {
          for (AclOperation op : ops) {
            filters.add(base.toBuilder().setPrincipal(p).setHost(h).setOperation(op).setPermissionType(permission).build());
          }
        }
      }
    }
  }
}

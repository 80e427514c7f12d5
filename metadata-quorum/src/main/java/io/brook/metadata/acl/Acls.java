package io.brook.metadata.acl;

import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.v1.AclBinding;
import io.brook.proto.v1.AclBindingFilter;
import io.brook.proto.v1.AclOperation;
import io.brook.proto.v1.AclPatternType;
import io.brook.proto.v1.AclPermissionType;
import io.brook.proto.v1.AclResourceType;
import java.net.InetAddress;
import java.util.Locale;

/**
 * ACL bindings in Kafka's model: what a valid binding is, and which bindings a filter matches
 * (Kafka's {@code AclBindingFilter} semantics). Used by the controller (create, delete), brokers
 * (describe) and the CLI. Stateless.
 */
public final class Acls {
  /** The one CLUSTER resource's name, as in Kafka. */
  public static final String CLUSTER_NAME = "kafka-cluster";
  /** The literal resource name and the host that match everything. */
  public static final String WILDCARD = "*";

  private Acls() {}

  /**
   * Checks a binding to be stored: resource type, LITERAL or PREFIXED pattern, a non-empty name
   * ({@value #CLUSTER_NAME} for CLUSTER), a principal {@code Type:name}, a host {@code *} or an IP
   * address, an operation and a permission.
   *
   * @throws BrookException INVALID_REQUEST naming what is wrong
   */
  public static void validate(AclBinding b) {
    if (b.getResourceType() == AclResourceType.ACL_RESOURCE_TYPE_UNSPECIFIED
        || b.getResourceType() == AclResourceType.UNRECOGNIZED) {
      throw invalid("an ACL needs a resource type (TOPIC, GROUP or CLUSTER)");
    }
    if (b.getPatternType() != AclPatternType.ACL_PATTERN_TYPE_LITERAL
        && b.getPatternType() != AclPatternType.ACL_PATTERN_TYPE_PREFIXED) {
      throw invalid("an ACL's resource pattern type must be LITERAL or PREFIXED");
    }
    if (b.getResourceName().isEmpty()) {
      throw invalid("an ACL needs a resource name");
    }
    if (b.getResourceType() == AclResourceType.ACL_RESOURCE_TYPE_CLUSTER
        && !(b.getResourceName().equals(CLUSTER_NAME) && b.getPatternType() == AclPatternType.ACL_PATTERN_TYPE_LITERAL)) {
      throw invalid("the CLUSTER resource is the literal name " + CLUSTER_NAME + ", not " + WireErrors.echo(b.getResourceName()));
    }
    if (b.getResourceName().length() > 255) {
      throw invalid("resource name " + WireErrors.echo(b.getResourceName()) + " is longer than 255 characters");
    }
    validatePrincipal(b.getPrincipal());
    validateHost(b.getHost());
    if (b.getOperation() == AclOperation.ACL_OPERATION_UNSPECIFIED || b.getOperation() == AclOperation.UNRECOGNIZED) {
      throw invalid("an ACL needs an operation");
    }
    if (b.getPermissionType() != AclPermissionType.ACL_PERMISSION_TYPE_ALLOW
        && b.getPermissionType() != AclPermissionType.ACL_PERMISSION_TYPE_DENY) {
      throw invalid("an ACL's permission must be ALLOW or DENY");
    }
  }

  /** A principal is {@code Type:name} with both parts non-empty, e.g. {@code User:alice} or {@code User:*}. */
  public static void validatePrincipal(String principal) {
    int colon = principal.indexOf(':');
    if (colon <= 0 || colon == principal.length() - 1 || principal.length() > 255) {
      throw invalid("principal " + WireErrors.echo(principal) + " is not of the form Type:name (e.g. User:alice)");
    }
  }

  /** A host is {@code *} or a literal IPv4/IPv6 address (never a name: no DNS lookup happens). */
  public static void validateHost(String host) {
    if (host.equals(WILDCARD)) {
      return;
    }
    if (host.isEmpty() || !(host.matches("[0-9.]+") || host.matches("[0-9a-fA-F:.]+") && host.contains(":"))) {
      throw invalid("host " + WireErrors.echo(host) + " is not * or an IP address");
    }
    try {
      InetAddress.getByName(host); // a literal: parsed, not resolved
    } catch (java.net.UnknownHostException e) {
      throw invalid("host " + WireErrors.echo(host) + " is not * or an IP address");
    }
  }

  /** Whether {@code filter} matches {@code b} (an unset field matches anything; MATCH as in Kafka). */
  public static boolean matches(AclBindingFilter filter, AclBinding b) {
    if (filter.getResourceType() != AclResourceType.ACL_RESOURCE_TYPE_UNSPECIFIED
        && filter.getResourceType() != b.getResourceType()) {
      return false;
    }
    String name = filter.getResourceName();
    switch (filter.getPatternType()) {
      case ACL_PATTERN_TYPE_MATCH -> {
        if (!name.isEmpty() && !patternMatches(b.getPatternType(), b.getResourceName(), name)) {
          return false;
        }
      }
      case ACL_PATTERN_TYPE_LITERAL, ACL_PATTERN_TYPE_PREFIXED -> {
        if (filter.getPatternType() != b.getPatternType() || !name.isEmpty() && !name.equals(b.getResourceName())) {
          return false;
        }
      }
      default -> {
        if (!name.isEmpty() && !name.equals(b.getResourceName())) {
          return false;
        }
      }
    }
    return (filter.getPrincipal().isEmpty() || filter.getPrincipal().equals(b.getPrincipal()))
        && (filter.getHost().isEmpty() || filter.getHost().equals(b.getHost()))
        && (filter.getOperation() == AclOperation.ACL_OPERATION_UNSPECIFIED || filter.getOperation() == b.getOperation())
        && (filter.getPermissionType() == AclPermissionType.ACL_PERMISSION_TYPE_UNSPECIFIED
            || filter.getPermissionType() == b.getPermissionType());
  }

  /** Whether a stored pattern applies to the resource {@code name}: literal equal or {@code *}, or a prefix. */
  public static boolean patternMatches(AclPatternType type, String pattern, String name) {
    return switch (type) {
      case ACL_PATTERN_TYPE_LITERAL -> pattern.equals(WILDCARD) || pattern.equals(name);
      case ACL_PATTERN_TYPE_PREFIXED -> name.startsWith(pattern);
      default -> false;
    };
  }

  /** Kafka's spelling of an operation for messages and the CLI: "Read", "DescribeConfigs", "ClusterAction". */
  public static String operationName(AclOperation op) {
    StringBuilder b = new StringBuilder();
    for (String part : op.name().substring("ACL_OPERATION_".length()).split("_")) {
      b.append(part.charAt(0)).append(part.substring(1).toLowerCase(Locale.ROOT));
    }
    return b.toString();
  }

  /** Kafka's spelling of a resource type: "Topic", "Group", "Cluster". */
  public static String resourceTypeName(AclResourceType t) {
    String n = t.name().substring("ACL_RESOURCE_TYPE_".length());
    return n.charAt(0) + n.substring(1).toLowerCase(Locale.ROOT);
  }

  /** One line in Kafka's style: {@code (principal=User:alice, host=*, operation=READ, permissionType=ALLOW)} on a resource. */
  public static String describe(AclBinding b) {
    return "ResourcePattern(resourceType=" + b.getResourceType().name().substring("ACL_RESOURCE_TYPE_".length())
        + ", name=" + b.getResourceName() + ", patternType=" + b.getPatternType().name().substring("ACL_PATTERN_TYPE_".length())
        + ") (principal=" + b.getPrincipal() + ", host=" + b.getHost()
        + ", operation=" + b.getOperation().name().substring("ACL_OPERATION_".length())
        + ", permissionType=" + b.getPermissionType().name().substring("ACL_PERMISSION_TYPE_".length()) + ")";
  }

  private static BrookException invalid(String message) {
    return new BrookException(ErrorCode.INVALID_REQUEST, message);
  }
}

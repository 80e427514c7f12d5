package io.brook.broker.security;

import io.brook.metadata.acl.Acls;
import io.brook.metadata.image.SecurityImage;
import io.brook.proto.v1.AclBinding;
import io.brook.proto.v1.AclOperation;
import io.brook.proto.v1.AclPatternType;
import io.brook.proto.v1.AclPermissionType;
import io.brook.proto.v1.AclResourceType;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Decides whether a principal may perform an operation on a resource, with the semantics of
 * Kafka's {@code StandardAuthorizer} (KIP-801; ACLs as in KIP-11 and KIP-290):
 *
 * <ol>
 *   <li>a super user ({@code super.users}) may do everything;
 *   <li>the ACLs that apply are those on the resource's type whose pattern matches its name
 *       (LITERAL equal, LITERAL {@code *}, or PREFIXED a prefix of the name), whose principal is
 *       the caller's or {@code User:*}, and whose host is the caller's IP address or {@code *};
 *   <li>a DENY for the operation (or ALL) wins over any ALLOW;
 *   <li>else an ALLOW for the operation, for ALL, or for an operation that implies it allows:
 *       READ, WRITE, DELETE and ALTER imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS;
 *   <li>else, when no ACL at all (of any principal) names the resource, {@code
 *       allow.everyone.if.no.acl.found} decides (off: deny); otherwise deny.
 * </ol>
 *
 * <p>The ACLs are read from the node's current metadata image, so every broker enforces the set
 * its image holds: a change applies everywhere once the brokers' images have it. An index of
 * the ACLs is rebuilt when the image's ACL map changes (by identity). Thread-safe.
 */
public final class Authorizer {
  /** The cluster resource's one name. */
  public static final String CLUSTER = Acls.CLUSTER_NAME;
  private static final String WILDCARD_PRINCIPAL = "User:*";

  private final Supplier<SecurityImage> security;
  private final Set<String> superUsers;
  private final boolean allowEveryoneIfNoAclFound;
  private volatile Index index = new Index(Map.of());

  /**
   * @param security                  the current ACLs (the node's metadata image)
   * @param superUsers                principals ({@code User:name}) allowed everything
   * @param allowEveryoneIfNoAclFound Kafka's {@code allow.everyone.if.no.acl.found}
   */
  public Authorizer(Supplier<SecurityImage> security, Set<String> superUsers, boolean allowEveryoneIfNoAclFound) {
    this.security = security;
    this.superUsers = Set.copyOf(superUsers);
    this.allowEveryoneIfNoAclFound = allowEveryoneIfNoAclFound;
  }

  /**
   * Parses Kafka's {@code super.users}: principals separated by ';' ({@code User:a;User:b}).
   *
   * @throws IllegalArgumentException for an entry that is not {@code Type:name}
   */
  public static Set<String> parseSuperUsers(String value) {
    java.util.LinkedHashSet<String> out = new java.util.LinkedHashSet<>();
    for (String s : value.split(";")) {
      if (!s.isBlank()) {
        out.add(KafkaPrincipal.parse(s.trim()).toString());
      }
    }
    return out;
  }

  /** Whether {@code principal} is in {@code super.users} (which may do everything). */
  public boolean isSuperUser(KafkaPrincipal principal) {
    return superUsers.contains(principal.toString());
  }

  /**
   * Whether {@code principal} calling from {@code host} (an IP address, or "" when unknown) may
   * perform {@code op} on the resource.
   */
  public boolean authorize(KafkaPrincipal principal, String host, AclOperation op, AclResourceType type, String name) {
    if (isSuperUser(principal)) {
      return true;
    }
    List<AclBinding> acls = index().matching(type, name);
    String p = principal.toString();
    String h = normalizeHost(host);
    boolean allowed = false;
    for (AclBinding acl : acls) {
      if (!(acl.getPrincipal().equals(p) || acl.getPrincipal().equals(WILDCARD_PRINCIPAL))
          || !(acl.getHost().equals(Acls.WILDCARD) || normalizeHost(acl.getHost()).equals(h) && !h.isEmpty())) {
        continue;
      }
      if (acl.getPermissionType() == AclPermissionType.ACL_PERMISSION_TYPE_DENY) {
        if (acl.getOperation() == op || acl.getOperation() == AclOperation.ACL_OPERATION_ALL) {
          return false; // deny wins
        }
      } else if (acl.getPermissionType() == AclPermissionType.ACL_PERMISSION_TYPE_ALLOW && implies(acl.getOperation(), op)) {
        allowed = true;
      }
    }
    if (allowed) {
      return true;
    }
    return acls.isEmpty() && allowEveryoneIfNoAclFound;
  }

  /**
   * Kafka's {@code authorizeByResourceType}: whether the principal may perform {@code op} on at
   * least one resource of {@code type} (an ALLOW it holds on some pattern that no DENY of its
   * covers): what an idempotent producer's InitProducerId needs (WRITE on any topic).
   */
  public boolean authorizeAny(KafkaPrincipal principal, String host, AclOperation op, AclResourceType type) {
    if (isSuperUser(principal)) {
      return true;
    }
    Index idx = index();
    List<AclBinding> all = idx.byType.getOrDefault(type, List.of());
    String p = principal.toString();
    String h = normalizeHost(host);
    for (AclBinding allow : all) {
      if (allow.getPermissionType() != AclPermissionType.ACL_PERMISSION_TYPE_ALLOW || !implies(allow.getOperation(), op)
          || !(allow.getPrincipal().equals(p) || allow.getPrincipal().equals(WILDCARD_PRINCIPAL))
          || !(allow.getHost().equals(Acls.WILDCARD) || normalizeHost(allow.getHost()).equals(h))) {
        continue;
      }
      // Allowed on this pattern unless a DENY covers the pattern's own name.
      if (authorize(principal, host, op, type, allow.getResourceName().equals(Acls.WILDCARD) ? "" : allow.getResourceName())) {
        return true;
      }
    }
    return all.isEmpty() && allowEveryoneIfNoAclFound;
  }

  /** Whether an ACL for {@code granted} allows {@code wanted} (ALL, equal, or Kafka's implications). */
  static boolean implies(AclOperation granted, AclOperation wanted) {
    if (granted == AclOperation.ACL_OPERATION_ALL || granted == wanted) {
      return true;
    }
    return switch (wanted) {
      case ACL_OPERATION_DESCRIBE -> granted == AclOperation.ACL_OPERATION_READ || granted == AclOperation.ACL_OPERATION_WRITE
          || granted == AclOperation.ACL_OPERATION_DELETE || granted == AclOperation.ACL_OPERATION_ALTER;
      case ACL_OPERATION_DESCRIBE_CONFIGS -> granted == AclOperation.ACL_OPERATION_ALTER_CONFIGS;
      default -> false;
    };
  }

  private static String normalizeHost(String host) {
    if (host == null || host.isEmpty() || host.equals(Acls.WILDCARD) || !host.contains(":")) {
      return host == null ? "" : host;
    }
    try {
      return InetAddress.getByName(host).getHostAddress(); // one spelling of an IPv6 literal
    } catch (java.net.UnknownHostException e) {
      return host;
    }
  }

  private Index index() {
    Map<String, AclBinding> acls = security.get().acls();
    Index i = index;
    if (i.source != acls) {
      i = new Index(acls);
      index = i;
    }
    return i;
  }

  /** The ACLs of one image, by resource type and literal name. */
  private static final class Index {
    final Map<String, AclBinding> source;
    final Map<AclResourceType, List<AclBinding>> byType = new EnumMap<>(AclResourceType.class);
    final Map<AclResourceType, Map<String, List<AclBinding>>> literal = new EnumMap<>(AclResourceType.class);
    final Map<AclResourceType, List<AclBinding>> wildcardOrPrefixed = new EnumMap<>(AclResourceType.class);

    Index(Map<String, AclBinding> source) {
      this.source = source;
      for (AclBinding b : source.values()) {
        byType.computeIfAbsent(b.getResourceType(), t -> new ArrayList<>()).add(b);
        if (b.getPatternType() == AclPatternType.ACL_PATTERN_TYPE_LITERAL && !b.getResourceName().equals(Acls.WILDCARD)) {
          literal.computeIfAbsent(b.getResourceType(), t -> new HashMap<>())
              .computeIfAbsent(b.getResourceName(), n -> new ArrayList<>()).add(b);
        } else {
          wildcardOrPrefixed.computeIfAbsent(b.getResourceType(), t -> new ArrayList<>()).add(b);
        }
      }
    }

    List<AclBinding> matching(AclResourceType type, String name) {
      List<AclBinding> out = new ArrayList<>(literal.getOrDefault(type, Map.of()).getOrDefault(name, List.of()));
      for (AclBinding b : wildcardOrPrefixed.getOrDefault(type, List.of())) {
        if (Acls.patternMatches(b.getPatternType(), b.getResourceName(), name)) {
          out.add(b);
        }
      }
      return out;
    }
  }
}

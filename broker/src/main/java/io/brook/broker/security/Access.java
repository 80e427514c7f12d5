package io.brook.broker.security;

import io.brook.metadata.acl.Acls;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.v1.AclOperation;
import io.brook.proto.v1.AclResourceType;

/**
 * One call's principal and client host, with the {@link Authorizer}: what the rules of
 * {@link RpcAuthorization} ask. Immutable.
 *
 * @param host the client's IP address, or "" when unknown
 */
public record Access(Authorizer authorizer, KafkaPrincipal principal, String host) {

  /** Whether this caller may perform {@code op} on the resource {@code type}/{@code name}; never throws. */
  public boolean allowed(AclOperation op, AclResourceType type, String name) {
    return authorizer.authorize(principal, host, op, type, name);
  }

  /**
   * Passes when allowed.
   *
   * @throws BrookException TOPIC_, GROUP_ or CLUSTER_AUTHORIZATION_FAILED (gRPC PERMISSION_DENIED)
   *     naming the principal, operation and resource
   */
  public void require(AclOperation op, AclResourceType type, String name) {
    if (!allowed(op, type, name)) {
      throw denied(op, type, name);
    }
  }

  /** Passes when allowed on at least one resource of the type (Kafka's authorizeByResourceType). */
  public void requireAny(AclOperation op, AclResourceType type) {
    if (!authorizer.authorizeAny(principal, host, op, type)) {
      throw new BrookException(code(type), principal + " is not authorized to " + Acls.operationName(op) + " any "
          + Acls.resourceTypeName(type).toLowerCase(java.util.Locale.ROOT));
    }
  }

  /** The refusal for {@code op} on the resource: its message names principal, operation and resource. */
  public BrookException denied(AclOperation op, AclResourceType type, String name) {
    return new BrookException(code(type), principal + " is not authorized to " + Acls.operationName(op) + " "
        + Acls.resourceTypeName(type) + ":" + WireErrors.echo(name).replaceAll("^'|'$", ""));
  }

  static ErrorCode code(AclResourceType type) {
    return switch (type) {
      case ACL_RESOURCE_TYPE_TOPIC -> ErrorCode.TOPIC_AUTHORIZATION_FAILED;
      case ACL_RESOURCE_TYPE_GROUP -> ErrorCode.GROUP_AUTHORIZATION_FAILED;
      default -> ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
    };
  }
}

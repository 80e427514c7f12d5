package io.brook.broker.security;

import static io.brook.proto.v1.AclOperation.ACL_OPERATION_ALL;
import static io.brook.proto.v1.AclOperation.ACL_OPERATION_ALTER;
import static io.brook.proto.v1.AclOperation.ACL_OPERATION_ALTER_CONFIGS;
import static io.brook.proto.v1.AclOperation.ACL_OPERATION_CLUSTER_ACTION;
import static io.brook.proto.v1.AclOperation.ACL_OPERATION_CREATE;
import static io.brook.proto.v1.AclOperation.ACL_OPERATION_DELETE;
import static io.brook.proto.v1.AclOperation.ACL_OPERATION_DESCRIBE;
import static io.brook.proto.v1.AclOperation.ACL_OPERATION_DESCRIBE_CONFIGS;
import static io.brook.proto.v1.AclOperation.ACL_OPERATION_READ;
import static io.brook.proto.v1.AclOperation.ACL_OPERATION_WRITE;
import static io.brook.proto.v1.AclPatternType.ACL_PATTERN_TYPE_LITERAL;
import static io.brook.proto.v1.AclPatternType.ACL_PATTERN_TYPE_PREFIXED;
import static io.brook.proto.v1.AclPermissionType.ACL_PERMISSION_TYPE_ALLOW;
import static io.brook.proto.v1.AclPermissionType.ACL_PERMISSION_TYPE_DENY;
import static io.brook.proto.v1.AclResourceType.ACL_RESOURCE_TYPE_CLUSTER;
import static io.brook.proto.v1.AclResourceType.ACL_RESOURCE_TYPE_GROUP;
import static io.brook.proto.v1.AclResourceType.ACL_RESOURCE_TYPE_TOPIC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.brook.metadata.image.SecurityImage;
import io.brook.proto.v1.AclBinding;
import io.brook.proto.v1.AclOperation;
import io.brook.proto.v1.AclPatternType;
import io.brook.proto.v1.AclPermissionType;
import io.brook.proto.v1.AclResourceType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AuthorizerTest {
  private static final KafkaPrincipal ALICE = KafkaPrincipal.user("alice");
  private static final KafkaPrincipal BOB = KafkaPrincipal.user("bob");
  private final Map<String, AclBinding> acls = new LinkedHashMap<>();
  private SecurityImage image = SecurityImage.EMPTY;
  private final Authorizer authorizer = new Authorizer(() -> image, Set.of("User:admin"), false);

  private void acl(String principal, String host, AclResourceType type, String name, AclPatternType pt, AclOperation op,
                   AclPermissionType perm) {
    acls.put("id" + acls.size(), AclBinding.newBuilder().setPrincipal(principal).setHost(host).setResourceType(type)
        .setResourceName(name).setPatternType(pt).setOperation(op).setPermissionType(perm).build());
    image = new SecurityImage(acls, Map.of());
  }

  private void allow(String principal, AclResourceType type, String name, AclPatternType pt, AclOperation op) {
    acl(principal, "*", type, name, pt, op, ACL_PERMISSION_TYPE_ALLOW);
  }

  private boolean can(KafkaPrincipal p, AclOperation op, AclResourceType type, String name) {
    return authorizer.authorize(p, "10.0.0.1", op, type, name);
  }

  @Test
  void withoutAnAclNothingIsAllowedButSuperUsersMayDoEverything() {
    assertThat(can(ALICE, ACL_OPERATION_READ, ACL_RESOURCE_TYPE_TOPIC, "t")).isFalse();
    assertThat(can(ALICE, ACL_OPERATION_DESCRIBE, ACL_RESOURCE_TYPE_CLUSTER, Authorizer.CLUSTER)).isFalse();
    acl("User:admin", "*", ACL_RESOURCE_TYPE_TOPIC, "t", ACL_PATTERN_TYPE_LITERAL, ACL_OPERATION_ALL, ACL_PERMISSION_TYPE_DENY);
    assertThat(can(KafkaPrincipal.user("admin"), ACL_OPERATION_DELETE, ACL_RESOURCE_TYPE_TOPIC, "t"))
        .as("a super user is allowed even against a DENY").isTrue();
    assertThat(can(KafkaPrincipal.ANONYMOUS, ACL_OPERATION_READ, ACL_RESOURCE_TYPE_TOPIC, "t")).isFalse();
  }

  @Test
  void literalAclsNameOneResourceOfOneType() {
    allow("User:alice", ACL_RESOURCE_TYPE_TOPIC, "orders", ACL_PATTERN_TYPE_LITERAL, ACL_OPERATION_READ);
    assertThat(can(ALICE, ACL_OPERATION_READ, ACL_RESOURCE_TYPE_TOPIC, "orders")).isTrue();
    assertThat(can(ALICE, ACL_OPERATION_READ, ACL_RESOURCE_TYPE_TOPIC, "orders2")).isFalse();
    assertThat(can(ALICE, ACL_OPERATION_READ, ACL_RESOURCE_TYPE_GROUP, "orders")).isFalse();
    assertThat(can(ALICE, ACL_OPERATION_WRITE, ACL_RESOURCE_TYPE_TOPIC, "orders")).isFalse();
    assertThat(can(BOB, ACL_OPERATION_READ, ACL_RESOURCE_TYPE_TOPIC, "orders")).isFalse();
  }

  @Test
  void prefixedAclsCoverEveryNameWithThePrefix() {
    allow("User:alice", ACL_RESOURCE_TYPE_TOPIC, "sales-", ACL_PATTERN_TYPE_PREFIXED, ACL_OPERATION_WRITE);
    assertThat(can(ALICE, ACL_OPERATION_WRITE, ACL_RESOURCE_TYPE_TOPIC, "sales-eu")).isTrue();
    assertThat(can(ALICE, ACL_OPERATION_WRITE, ACL_RESOURCE_TYPE_TOPIC, "sales-")).isTrue();
    assertThat(can(ALICE, ACL_OPERATION_WRITE, ACL_RESOURCE_TYPE_TOPIC, "sales")).isFalse();
    assertThat(can(ALICE, ACL_OPERATION_WRITE, ACL_RESOURCE_TYPE_TOPIC, "xsales-eu")).isFalse();
  }

  @Test
  void theWildcardNameAndTheWildcardPrincipalMatchEverything() {
    allow("User:*", ACL_RESOURCE_TYPE_GROUP, "*", ACL_PATTERN_TYPE_LITERAL, ACL_OPERATION_READ);
    assertThat(can(ALICE, ACL_OPERATION_READ, ACL_RESOURCE_TYPE_GROUP, "any-group")).isTrue();
    assertThat(can(BOB, ACL_OPERATION_READ, ACL_RESOURCE_TYPE_GROUP, "other")).isTrue();
    assertThat(can(BOB, ACL_OPERATION_READ, ACL_RESOURCE_TYPE_TOPIC, "other")).as("only groups").isFalse();
    // A prefixed "*" is a prefix like any other, not a wildcard.
    allow("User:bob", ACL_RESOURCE_TYPE_TOPIC, "*", ACL_PATTERN_TYPE_PREFIXED, ACL_OPERATION_READ);
    assertThat(can(BOB, ACL_OPERATION_READ, ACL_RESOURCE_TYPE_TOPIC, "t")).isFalse();
    assertThat(can(BOB, ACL_OPERATION_READ, ACL_RESOURCE_TYPE_TOPIC, "*t")).isTrue();
  }

  @Test
  void denyWinsOverAllowWhateverMatchedTheResource() {
    allow("User:*", ACL_RESOURCE_TYPE_TOPIC, "*", ACL_PATTERN_TYPE_LITERAL, ACL_OPERATION_ALL);
    acl("User:alice", "*", ACL_RESOURCE_TYPE_TOPIC, "secret-", ACL_PATTERN_TYPE_PREFIXED, ACL_OPERATION_READ,
        ACL_PERMISSION_TYPE_DENY);
    assertThat(can(ALICE, ACL_OPERATION_READ, ACL_RESOURCE_TYPE_TOPIC, "secret-plans")).isFalse();
    assertThat(can(ALICE, ACL_OPERATION_WRITE, ACL_RESOURCE_TYPE_TOPIC, "secret-plans")).as("only READ is denied").isTrue();
    assertThat(can(ALICE, ACL_OPERATION_DESCRIBE, ACL_RESOURCE_TYPE_TOPIC, "secret-plans"))
        .as("a DENY of READ does not deny DESCRIBE").isTrue();
    assertThat(can(BOB, ACL_OPERATION_READ, ACL_RESOURCE_TYPE_TOPIC, "secret-plans")).isTrue();
    acl("User:*", "*", ACL_RESOURCE_TYPE_TOPIC, "secret-plans", ACL_PATTERN_TYPE_LITERAL, ACL_OPERATION_ALL,
        ACL_PERMISSION_TYPE_DENY);
    assertThat(can(BOB, ACL_OPERATION_DESCRIBE, ACL_RESOURCE_TYPE_TOPIC, "secret-plans")).as("DENY ALL").isFalse();
  }

  @Test
  void kafkasImplicationsAllowDescribeAndDescribeConfigsOnly() {
    for (AclOperation op : new AclOperation[] {ACL_OPERATION_READ, ACL_OPERATION_WRITE, ACL_OPERATION_DELETE, ACL_OPERATION_ALTER}) {
      acls.clear();
      allow("User:alice", ACL_RESOURCE_TYPE_TOPIC, "t", ACL_PATTERN_TYPE_LITERAL, op);
      assertThat(can(ALICE, ACL_OPERATION_DESCRIBE, ACL_RESOURCE_TYPE_TOPIC, "t")).as(op + " implies DESCRIBE").isTrue();
      assertThat(can(ALICE, ACL_OPERATION_DESCRIBE_CONFIGS, ACL_RESOURCE_TYPE_TOPIC, "t")).as(op.name()).isFalse();
    }
    acls.clear();
    allow("User:alice", ACL_RESOURCE_TYPE_TOPIC, "t", ACL_PATTERN_TYPE_LITERAL, ACL_OPERATION_ALTER_CONFIGS);
    assertThat(can(ALICE, ACL_OPERATION_DESCRIBE_CONFIGS, ACL_RESOURCE_TYPE_TOPIC, "t")).isTrue();
    assertThat(can(ALICE, ACL_OPERATION_DESCRIBE, ACL_RESOURCE_TYPE_TOPIC, "t")).isFalse();
    acls.clear();
    allow("User:alice", ACL_RESOURCE_TYPE_TOPIC, "t", ACL_PATTERN_TYPE_LITERAL, ACL_OPERATION_DESCRIBE);
    assertThat(can(ALICE, ACL_OPERATION_READ, ACL_RESOURCE_TYPE_TOPIC, "t")).as("DESCRIBE implies nothing").isFalse();
    acls.clear();
    allow("User:alice", ACL_RESOURCE_TYPE_CLUSTER, Authorizer.CLUSTER, ACL_PATTERN_TYPE_LITERAL, ACL_OPERATION_ALL);
    for (AclOperation op : new AclOperation[] {ACL_OPERATION_CREATE, ACL_OPERATION_CLUSTER_ACTION, ACL_OPERATION_ALTER}) {
      assertThat(can(ALICE, op, ACL_RESOURCE_TYPE_CLUSTER, Authorizer.CLUSTER)).as("ALL allows " + op).isTrue();
    }
  }

  @Test
  void hostsAreMatchedByAddress() {
    acl("User:alice", "10.0.0.1", ACL_RESOURCE_TYPE_TOPIC, "t", ACL_PATTERN_TYPE_LITERAL, ACL_OPERATION_READ,
        ACL_PERMISSION_TYPE_ALLOW);
    assertThat(authorizer.authorize(ALICE, "10.0.0.1", ACL_OPERATION_READ, ACL_RESOURCE_TYPE_TOPIC, "t")).isTrue();
    assertThat(authorizer.authorize(ALICE, "10.0.0.2", ACL_OPERATION_READ, ACL_RESOURCE_TYPE_TOPIC, "t")).isFalse();
    assertThat(authorizer.authorize(ALICE, "", ACL_OPERATION_READ, ACL_RESOURCE_TYPE_TOPIC, "t")).as("unknown host").isFalse();
    acl("User:alice", "::1", ACL_RESOURCE_TYPE_TOPIC, "v6", ACL_PATTERN_TYPE_LITERAL, ACL_OPERATION_READ,
        ACL_PERMISSION_TYPE_ALLOW);
    assertThat(authorizer.authorize(ALICE, "0:0:0:0:0:0:0:1", ACL_OPERATION_READ, ACL_RESOURCE_TYPE_TOPIC, "v6")).isTrue();
    acl("User:alice", "10.0.0.9", ACL_RESOURCE_TYPE_TOPIC, "t", ACL_PATTERN_TYPE_LITERAL, ACL_OPERATION_READ,
        ACL_PERMISSION_TYPE_DENY);
    assertThat(authorizer.authorize(ALICE, "10.0.0.9", ACL_OPERATION_READ, ACL_RESOURCE_TYPE_TOPIC, "t")).isFalse();
    assertThat(authorizer.authorize(ALICE, "10.0.0.1", ACL_OPERATION_READ, ACL_RESOURCE_TYPE_TOPIC, "t")).isTrue();
  }

  @Test
  void allowEveryoneIfNoAclFoundOpensOnlyResourcesNoAclNames() {
    Authorizer open = new Authorizer(() -> image, Set.of(), true);
    assertThat(open.authorize(ALICE, "10.0.0.1", ACL_OPERATION_WRITE, ACL_RESOURCE_TYPE_TOPIC, "t")).isTrue();
    allow("User:bob", ACL_RESOURCE_TYPE_TOPIC, "t", ACL_PATTERN_TYPE_LITERAL, ACL_OPERATION_READ);
    assertThat(open.authorize(ALICE, "10.0.0.1", ACL_OPERATION_WRITE, ACL_RESOURCE_TYPE_TOPIC, "t"))
        .as("an ACL (of anyone) names the topic now").isFalse();
    assertThat(open.authorize(ALICE, "10.0.0.1", ACL_OPERATION_WRITE, ACL_RESOURCE_TYPE_TOPIC, "u")).isTrue();
  }

  @Test
  void aChangedImageIsSeenAtOnce() {
    assertThat(can(ALICE, ACL_OPERATION_READ, ACL_RESOURCE_TYPE_TOPIC, "t")).isFalse();
    allow("User:alice", ACL_RESOURCE_TYPE_TOPIC, "t", ACL_PATTERN_TYPE_LITERAL, ACL_OPERATION_READ);
    assertThat(can(ALICE, ACL_OPERATION_READ, ACL_RESOURCE_TYPE_TOPIC, "t")).isTrue();
    image = SecurityImage.EMPTY;
    assertThat(can(ALICE, ACL_OPERATION_READ, ACL_RESOURCE_TYPE_TOPIC, "t")).isFalse();
  }

  @Test
  void writeOnAnyTopicIsWhatAnIdempotentProducerNeeds() {
    assertThat(authorizer.authorizeAny(ALICE, "10.0.0.1", ACL_OPERATION_WRITE, ACL_RESOURCE_TYPE_TOPIC)).isFalse();
    allow("User:alice", ACL_RESOURCE_TYPE_TOPIC, "logs-", ACL_PATTERN_TYPE_PREFIXED, ACL_OPERATION_WRITE);
    assertThat(authorizer.authorizeAny(ALICE, "10.0.0.1", ACL_OPERATION_WRITE, ACL_RESOURCE_TYPE_TOPIC)).isTrue();
    assertThat(authorizer.authorizeAny(BOB, "10.0.0.1", ACL_OPERATION_WRITE, ACL_RESOURCE_TYPE_TOPIC)).isFalse();
    acl("User:alice", "*", ACL_RESOURCE_TYPE_TOPIC, "logs-", ACL_PATTERN_TYPE_PREFIXED, ACL_OPERATION_WRITE,
        ACL_PERMISSION_TYPE_DENY);
    assertThat(authorizer.authorizeAny(ALICE, "10.0.0.1", ACL_OPERATION_WRITE, ACL_RESOURCE_TYPE_TOPIC)).isFalse();
  }

  @Test
  void superUsersParseAsKafkaWritesThem() {
    assertThat(Authorizer.parseSuperUsers("User:admin; User:CN=broker1,O=Brook ;")).containsExactly("User:admin",
        "User:CN=broker1,O=Brook");
    assertThat(Authorizer.parseSuperUsers("")).isEmpty();
    assertThatThrownBy(() -> Authorizer.parseSuperUsers("admin")).hasMessageContaining("Type:name");
  }
}

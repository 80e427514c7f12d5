package io.brook.metadata.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.brook.metadata.image.ImageRecords;
import io.brook.metadata.image.MetadataDelta;
import io.brook.metadata.image.MetadataImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.metadata.v1.AlterScramCredentialsRequest;
import io.brook.proto.metadata.v1.RemoveUserScramCredentialRecord;
import io.brook.proto.metadata.v1.UserScramCredentialRecord;
import io.brook.proto.v1.AclBinding;
import io.brook.proto.v1.AclBindingFilter;
import io.brook.proto.v1.AclOperation;
import io.brook.proto.v1.AclPatternType;
import io.brook.proto.v1.AclPermissionType;
import io.brook.proto.v1.AclResourceType;
import io.brook.proto.v1.CreateAclsRequest;
import io.brook.proto.v1.DeleteAclsRequest;
import io.brook.proto.v1.ScramMechanism;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class SecurityHandlerTest {
  private final SecurityHandler handler = new SecurityHandler(new Random(7));
  private long index = 1;

  private MetadataImage apply(MetadataImage image, ControllerResult<?> result) {
    return MetadataDelta.replayEntry(image, ++index, 1, result.records());
  }

  static UserScramCredentialRecord cred(String user, ScramMechanism m, int iterations) {
    int n = m == ScramMechanism.SCRAM_SHA_512 ? 64 : 32;
    return UserScramCredentialRecord.newBuilder().setName(user).setMechanism(m).setIterations(iterations)
        .setSalt(ByteString.copyFromUtf8("salt-" + user)).setStoredKey(ByteString.copyFrom(new byte[n]))
        .setServerKey(ByteString.copyFrom(new byte[n])).build();
  }

  static AclBinding acl(String principal, AclResourceType type, String name, AclPatternType pt, AclOperation op,
                        AclPermissionType perm) {
    return AclBinding.newBuilder().setPrincipal(principal).setHost("*").setResourceType(type).setResourceName(name)
        .setPatternType(pt).setOperation(op).setPermissionType(perm).build();
  }

  @Test
  void credentialsAreStoredReplacedRemovedAndSurviveASnapshot() {
    MetadataImage image = MetadataImage.EMPTY;
    image = apply(image, handler.alterScramCredentials(image, AlterScramCredentialsRequest.newBuilder()
        .addUpsertions(cred("alice", ScramMechanism.SCRAM_SHA_256, 4096))
        .addUpsertions(cred("alice", ScramMechanism.SCRAM_SHA_512, 8192))
        .addUpsertions(cred("bob", ScramMechanism.SCRAM_SHA_256, 4096)).build()));
    assertThat(image.security().users()).containsOnlyKeys("alice", "bob");
    assertThat(image.security().credential("alice", ScramMechanism.SCRAM_SHA_512).iterations()).isEqualTo(8192);

    image = apply(image, handler.alterScramCredentials(image, AlterScramCredentialsRequest.newBuilder()
        .addUpsertions(cred("bob", ScramMechanism.SCRAM_SHA_256, 10000)).build()));
    assertThat(image.security().credential("bob", ScramMechanism.SCRAM_SHA_256).iterations()).isEqualTo(10000);

    MetadataImage restored = ImageRecords.fromSnapshot(ImageRecords.toSnapshot(image));
    assertThat(restored.security()).isEqualTo(image.security());

    image = apply(image, handler.alterScramCredentials(image, AlterScramCredentialsRequest.newBuilder()
        .addDeletions(RemoveUserScramCredentialRecord.newBuilder().setName("bob").setMechanism(ScramMechanism.SCRAM_SHA_256))
        .build()));
    assertThat(image.security().users()).containsOnlyKeys("alice");
  }

  @Test
  void badCredentialChangesAreRefusedWholeWithKafkasErrors() {
    MetadataImage image = apply(MetadataImage.EMPTY, handler.alterScramCredentials(MetadataImage.EMPTY,
        AlterScramCredentialsRequest.newBuilder().addUpsertions(cred("alice", ScramMechanism.SCRAM_SHA_256, 4096)).build()));
    MetadataImage before = image;
    assertThatThrownBy(() -> handler.alterScramCredentials(before, AlterScramCredentialsRequest.newBuilder()
        .addUpsertions(cred("carol", ScramMechanism.SCRAM_SHA_256, 4096))
        .addUpsertions(cred("dave", ScramMechanism.SCRAM_SHA_256, 1000)).build()))
        .isInstanceOf(BrookException.class).extracting(e -> ((BrookException) e).code()).isEqualTo(ErrorCode.UNACCEPTABLE_CREDENTIAL);
    assertThatThrownBy(() -> handler.alterScramCredentials(before, AlterScramCredentialsRequest.newBuilder()
        .addDeletions(RemoveUserScramCredentialRecord.newBuilder().setName("nobody").setMechanism(ScramMechanism.SCRAM_SHA_256))
        .build())).extracting(e -> ((BrookException) e).code()).isEqualTo(ErrorCode.RESOURCE_NOT_FOUND);
    assertThatThrownBy(() -> handler.alterScramCredentials(before, AlterScramCredentialsRequest.newBuilder()
        .addUpsertions(cred("carol", ScramMechanism.SCRAM_MECHANISM_UNSPECIFIED, 4096)).build()))
        .extracting(e -> ((BrookException) e).code()).isEqualTo(ErrorCode.UNSUPPORTED_SASL_MECHANISM);
    assertThatThrownBy(() -> handler.alterScramCredentials(before, AlterScramCredentialsRequest.newBuilder()
        .addUpsertions(cred("", ScramMechanism.SCRAM_SHA_256, 4096)).build()))
        .extracting(e -> ((BrookException) e).code()).isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThatThrownBy(() -> handler.alterScramCredentials(before, AlterScramCredentialsRequest.newBuilder()
        .addUpsertions(cred("carol", ScramMechanism.SCRAM_SHA_256, 4096).toBuilder().setStoredKey(ByteString.EMPTY)).build()))
        .extracting(e -> ((BrookException) e).code()).isEqualTo(ErrorCode.UNACCEPTABLE_CREDENTIAL);
  }

  @Test
  void aclsAreCreatedOnceDeletedByFilterAndSurviveASnapshot() {
    AclBinding read = acl("User:alice", AclResourceType.ACL_RESOURCE_TYPE_TOPIC, "orders",
        AclPatternType.ACL_PATTERN_TYPE_LITERAL, AclOperation.ACL_OPERATION_READ, AclPermissionType.ACL_PERMISSION_TYPE_ALLOW);
    AclBinding prefixed = acl("User:bob", AclResourceType.ACL_RESOURCE_TYPE_TOPIC, "ord",
        AclPatternType.ACL_PATTERN_TYPE_PREFIXED, AclOperation.ACL_OPERATION_WRITE, AclPermissionType.ACL_PERMISSION_TYPE_DENY);
    AclBinding group = acl("User:alice", AclResourceType.ACL_RESOURCE_TYPE_GROUP, "*",
        AclPatternType.ACL_PATTERN_TYPE_LITERAL, AclOperation.ACL_OPERATION_READ, AclPermissionType.ACL_PERMISSION_TYPE_ALLOW);
    MetadataImage image = MetadataImage.EMPTY;
    image = apply(image, handler.createAcls(image, CreateAclsRequest.newBuilder().addCreations(read)
        .addCreations(prefixed).addCreations(group).addCreations(read).build()));
    assertThat(image.security().acls().values()).containsExactlyInAnyOrder(read, prefixed, group);
    ControllerResult<?> again = handler.createAcls(image, CreateAclsRequest.newBuilder().addCreations(read).build());
    assertThat(again.records()).as("an existing ACL is not added twice").isEmpty();
    assertThat(ImageRecords.fromSnapshot(ImageRecords.toSnapshot(image)).security()).isEqualTo(image.security());

    // MATCH: every ACL that applies to topic "orders" (the literal and the prefix), not the group's.
    var deleted = handler.deleteAcls(image, DeleteAclsRequest.newBuilder().addFilters(AclBindingFilter.newBuilder()
        .setResourceType(AclResourceType.ACL_RESOURCE_TYPE_TOPIC).setResourceName("orders")
        .setPatternType(AclPatternType.ACL_PATTERN_TYPE_MATCH)).build());
    assertThat(deleted.response(0).getDeletedList()).containsExactlyInAnyOrder(read, prefixed);
    image = apply(image, deleted);
    assertThat(image.security().acls().values()).containsExactly(group);
  }

  @Test
  void invalidAclsAreRefusedAndNothingIsWritten() {
    AclBinding ok = acl("User:alice", AclResourceType.ACL_RESOURCE_TYPE_TOPIC, "t",
        AclPatternType.ACL_PATTERN_TYPE_LITERAL, AclOperation.ACL_OPERATION_READ, AclPermissionType.ACL_PERMISSION_TYPE_ALLOW);
    for (AclBinding bad : new AclBinding[] {
        ok.toBuilder().setPrincipal("alice").build(),
        ok.toBuilder().setHost("example.com").build(),
        ok.toBuilder().setOperation(AclOperation.ACL_OPERATION_UNSPECIFIED).build(),
        ok.toBuilder().setPermissionType(AclPermissionType.ACL_PERMISSION_TYPE_UNSPECIFIED).build(),
        ok.toBuilder().setPatternType(AclPatternType.ACL_PATTERN_TYPE_MATCH).build(),
        ok.toBuilder().setResourceType(AclResourceType.ACL_RESOURCE_TYPE_CLUSTER).setResourceName("c").build(),
        ok.toBuilder().setResourceName("").build()}) {
      assertThatThrownBy(() -> handler.createAcls(MetadataImage.EMPTY, CreateAclsRequest.newBuilder()
          .addCreations(ok).addCreations(bad).build())).as(bad.toString())
          .extracting(e -> ((BrookException) e).code()).isEqualTo(ErrorCode.INVALID_REQUEST);
    }
    assertThat(handler.createAcls(MetadataImage.EMPTY, CreateAclsRequest.newBuilder()
        .addCreations(ok.toBuilder().setHost("10.0.0.1")).addCreations(ok.toBuilder().setHost("::1")).build()).records())
        .hasSize(2);
  }
}

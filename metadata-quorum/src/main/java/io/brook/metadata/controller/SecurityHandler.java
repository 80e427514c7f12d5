package io.brook.metadata.controller;

import io.brook.metadata.acl.Acls;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.ScramCredential;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.metadata.v1.AccessControlEntryRecord;
import io.brook.proto.metadata.v1.AlterScramCredentialsRequest;
import io.brook.proto.metadata.v1.AlterScramCredentialsResponse;
import io.brook.proto.metadata.v1.MetadataRecord;
import io.brook.proto.metadata.v1.RemoveAccessControlEntryRecord;
import io.brook.proto.metadata.v1.RemoveUserScramCredentialRecord;
import io.brook.proto.metadata.v1.UserScramCredentialRecord;
import io.brook.proto.v1.AclBinding;
import io.brook.proto.v1.AclBindingFilter;
import io.brook.proto.v1.CreateAclsRequest;
import io.brook.proto.v1.CreateAclsResponse;
import io.brook.proto.v1.DeleteAclsRequest;
import io.brook.proto.v1.DeleteAclsResponse;
import io.brook.proto.v1.ScramMechanism;
import io.brook.proto.security.Scram;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

/**
 * Users' SCRAM credentials and ACLs (Kafka's AlterUserScramCredentials, CreateAcls, DeleteAcls).
 * Each request is validated whole and written as one entry, or refused with nothing written.
 * Threading: controller thread only.
 */
final class SecurityHandler {
  /** The largest number of changes one request may carry (keeps an entry far below its size limit). */
  static final int MAX_CHANGES_PER_REQUEST = 1000;
  private static final int MAX_USER_NAME_CHARS = 255;
  private final Random random;

  SecurityHandler(Random random) {
    this.random = random;
  }

  ControllerResult<AlterScramCredentialsResponse> alterScramCredentials(MetadataImage image,
                                                                       AlterScramCredentialsRequest req) {
    int n = req.getUpsertionsCount() + req.getDeletionsCount();
    if (n == 0) {
      throw ControllerErrors.invalid("no credentials to change");
    }
    if (n > MAX_CHANGES_PER_REQUEST) {
      throw ControllerErrors.invalid("at most " + MAX_CHANGES_PER_REQUEST + " credential changes per request, got " + n);
    }
    Set<String> seen = new HashSet<>();
    List<MetadataRecord> records = new ArrayList<>();
    for (UserScramCredentialRecord u : req.getUpsertionsList()) {
      checkUser(u.getName(), u.getMechanism(), seen);
      try {
        Scram.checkIterations(u.getIterations());
      } catch (IllegalArgumentException e) {
        throw new BrookException(ErrorCode.UNACCEPTABLE_CREDENTIAL, e.getMessage());
      }
      int keyBytes = u.getMechanism() == ScramMechanism.SCRAM_SHA_512 ? 64 : 32;
      if (u.getSalt().isEmpty() || u.getStoredKey().size() != keyBytes || u.getServerKey().size() != keyBytes) {
        throw new BrookException(ErrorCode.UNACCEPTABLE_CREDENTIAL, "the credential of " + WireErrors.echo(u.getName())
            + " needs a salt and " + keyBytes + "-byte stored and server keys");
      }
      records.add(MetadataRecord.newBuilder().setUserScramCredential(u).build());
    }
    for (RemoveUserScramCredentialRecord d : req.getDeletionsList()) {
      checkUser(d.getName(), d.getMechanism(), seen);
      ScramCredential existing = image.security().credential(d.getName(), d.getMechanism());
      if (existing == null) {
        throw new BrookException(ErrorCode.RESOURCE_NOT_FOUND, "user " + WireErrors.echo(d.getName()) + " has no "
            + Scram.mechanismName(d.getMechanism()) + " credential");
      }
      records.add(MetadataRecord.newBuilder().setRemoveUserScramCredential(d).build());
    }
    return ControllerResult.of(records, AlterScramCredentialsResponse.getDefaultInstance());
  }

  private static void checkUser(String name, ScramMechanism mechanism, Set<String> seen) {
    if (name.isEmpty() || name.length() > MAX_USER_NAME_CHARS) {
      throw ControllerErrors.invalid("a user name must have 1 to " + MAX_USER_NAME_CHARS + " characters");
    }
    if (mechanism != ScramMechanism.SCRAM_SHA_256 && mechanism != ScramMechanism.SCRAM_SHA_512) {
      throw new BrookException(ErrorCode.UNSUPPORTED_SASL_MECHANISM, "unsupported SCRAM mechanism for user "
          + WireErrors.echo(name) + ": use SCRAM-SHA-256 or SCRAM-SHA-512");
    }
    if (!seen.add(name + "\u0000" + mechanism)) {
      throw ControllerErrors.invalid("user " + WireErrors.echo(name) + " " + Scram.mechanismName(mechanism)
          + " appears twice in the request");
    }
  }

  ControllerResult<CreateAclsResponse> createAcls(MetadataImage image, CreateAclsRequest req) {
    if (req.getCreationsCount() == 0) {
      throw ControllerErrors.invalid("no ACLs to create");
    }
    if (req.getCreationsCount() > MAX_CHANGES_PER_REQUEST) {
      throw ControllerErrors.invalid("at most " + MAX_CHANGES_PER_REQUEST + " ACLs per request, got "
          + req.getCreationsCount());
    }
    Set<AclBinding> existing = new HashSet<>(image.security().acls().values());
    List<MetadataRecord> records = new ArrayList<>();
    for (AclBinding b : req.getCreationsList()) {
      Acls.validate(b);
      if (existing.add(b)) { // as Kafka: an ACL that exists already is not added again
        records.add(MetadataRecord.newBuilder().setAccessControlEntry(AccessControlEntryRecord.newBuilder()
            .setId(new UUID(random.nextLong(), random.nextLong()).toString()).setBinding(b)).build());
      }
    }
    return ControllerResult.of(records, CreateAclsResponse.getDefaultInstance());
  }

  ControllerResult<DeleteAclsResponse> deleteAcls(MetadataImage image, DeleteAclsRequest req) {
    if (req.getFiltersCount() == 0) {
      throw ControllerErrors.invalid("no ACL filters given");
    }
    List<MetadataRecord> records = new ArrayList<>();
    DeleteAclsResponse.Builder resp = DeleteAclsResponse.newBuilder();
    for (Map.Entry<String, AclBinding> e : image.security().acls().entrySet()) {
      for (AclBindingFilter f : req.getFiltersList()) {
        if (Acls.matches(f, e.getValue())) {
          records.add(MetadataRecord.newBuilder().setRemoveAccessControlEntry(RemoveAccessControlEntryRecord
              .newBuilder().setId(e.getKey())).build());
          resp.addDeleted(e.getValue());
          break;
        }
      }
    }
    return ControllerResult.of(records, resp.build()).asSplittable();
  }
}

package io.brook.broker.api;

import io.brook.metadata.image.ScramCredential;
import io.brook.metadata.image.SecurityImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.metadata.v1.AlterScramCredentialsRequest;
import io.brook.proto.metadata.v1.RemoveUserScramCredentialRecord;
import io.brook.proto.metadata.v1.UserScramCredentialRecord;
import io.brook.proto.security.Scram;
import io.brook.proto.v1.AlterUserScramCredentialsRequest;
import io.brook.proto.v1.DescribeUserScramCredentialsResponse;
import io.brook.proto.v1.ScramCredentialDeletion;
import io.brook.proto.v1.ScramCredentialInfo;
import io.brook.proto.v1.ScramCredentialUpsertion;
import io.brook.proto.v1.ScramMechanism;
import io.brook.proto.v1.UserScramCredentialsDescription;
import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Map;

/**
 * The broker's side of the user admin calls: describes credentials without any salt or key, and
 * turns a client's salted passwords (Kafka's KIP-554 upsertion) into the stored and server keys
 * the controller writes, so no password-equivalent reaches the metadata log. Stateless.
 */
final class SecurityViews {
  private SecurityViews() {}

  /** Users and their mechanisms and iteration counts; a named user without credentials: RESOURCE_NOT_FOUND. */
  static DescribeUserScramCredentialsResponse describeUsers(SecurityImage security, List<String> users) {
    DescribeUserScramCredentialsResponse.Builder b = DescribeUserScramCredentialsResponse.newBuilder();
    List<String> names = users.isEmpty() ? List.copyOf(security.users().keySet())
        : users.stream().distinct().sorted().toList();
    for (String name : names) {
      Map<ScramMechanism, ScramCredential> creds = security.users().get(name);
      if (creds == null) {
        throw new BrookException(ErrorCode.RESOURCE_NOT_FOUND, "user " + WireErrors.echo(name) + " has no SCRAM credential");
      }
      UserScramCredentialsDescription.Builder d = UserScramCredentialsDescription.newBuilder().setName(name);
      creds.values().forEach(c -> d.addCredentialInfos(ScramCredentialInfo.newBuilder()
          .setMechanism(c.mechanism()).setIterations(c.iterations())));
      b.addResults(d);
    }
    return b.build();
  }

  /** Derives StoredKey and ServerKey from each salted password (RFC 5802); the controller validates the rest. */
  static AlterScramCredentialsRequest toControllerRequest(AlterUserScramCredentialsRequest req) {
    AlterScramCredentialsRequest.Builder b = AlterScramCredentialsRequest.newBuilder();
    for (ScramCredentialUpsertion u : req.getUpsertionsList()) {
      if (u.getMechanism() != ScramMechanism.SCRAM_SHA_256 && u.getMechanism() != ScramMechanism.SCRAM_SHA_512) {
        throw new BrookException(ErrorCode.UNSUPPORTED_SASL_MECHANISM, "unsupported SCRAM mechanism for user "
            + WireErrors.echo(u.getName()) + ": use SCRAM-SHA-256 or SCRAM-SHA-512");
      }
      int hashBytes = u.getMechanism() == ScramMechanism.SCRAM_SHA_512 ? 64 : 32;
      if (u.getSaltedPassword().size() != hashBytes || u.getSalt().isEmpty()) {
        throw new BrookException(ErrorCode.UNACCEPTABLE_CREDENTIAL, "the upsertion for user " + WireErrors.echo(u.getName())
            + " needs a salt and a " + hashBytes + "-byte salted password");
      }
      byte[] salted = u.getSaltedPassword().toByteArray();
      b.addUpsertions(UserScramCredentialRecord.newBuilder().setName(u.getName()).setMechanism(u.getMechanism())
          .setSalt(u.getSalt()).setIterations(u.getIterations())
          .setStoredKey(ByteString.copyFrom(Scram.storedKeyFromSalted(u.getMechanism(), salted)))
          .setServerKey(ByteString.copyFrom(Scram.serverKey(u.getMechanism(), salted))));
      java.util.Arrays.fill(salted, (byte) 0);
    }
    for (ScramCredentialDeletion d : req.getDeletionsList()) {
      b.addDeletions(RemoveUserScramCredentialRecord.newBuilder().setName(d.getName()).setMechanism(d.getMechanism()));
    }
    return b.build();
  }

  /** Whether the image shows every change of the request. */
  static boolean reflects(SecurityImage security, AlterScramCredentialsRequest req) {
    for (UserScramCredentialRecord u : req.getUpsertionsList()) {
      ScramCredential c = security.credential(u.getName(), u.getMechanism());
      if (c == null || !c.storedKey().equals(u.getStoredKey()) || !c.salt().equals(u.getSalt())) {
        return false;
      }
    }
    for (RemoveUserScramCredentialRecord d : req.getDeletionsList()) {
      if (security.credential(d.getName(), d.getMechanism()) != null) {
        return false;
      }
    }
    return true;
  }
}

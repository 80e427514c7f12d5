package io.brook.metadata.image;

import com.google.protobuf.ByteString;
import io.brook.proto.v1.ScramMechanism;

/**
 * One user's SCRAM credential for one mechanism, as stored (RFC 5802; Kafka's
 * {@code ScramCredential}): salt, StoredKey, ServerKey and the iteration count. Never the
 * password. Immutable.
 */
public record ScramCredential(ScramMechanism mechanism, ByteString salt, ByteString storedKey, ByteString serverKey,
                              int iterations) {
}

package io.brook.metadata.image;

import io.brook.proto.v1.AclBinding;
import io.brook.proto.v1.ScramMechanism;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The security part of the metadata: every ACL by its id, and every user's SCRAM credentials by
 * user name and mechanism (docs/security.md). Immutable; a changed image gets new maps, so a
 * reader may cache what it derives from them (an index of the ACLs) by identity.
 *
 * @param acls  ACL id (a UUID chosen by the controller) to binding, sorted by id
 * @param users user name to its credentials by mechanism, sorted by name
 */
public record SecurityImage(Map<String, AclBinding> acls, Map<String, Map<ScramMechanism, ScramCredential>> users) {
  public static final SecurityImage EMPTY = new SecurityImage(Map.of(), Map.of());

  public SecurityImage {
    acls = Collections.unmodifiableMap(new TreeMap<>(acls));
    TreeMap<String, Map<ScramMechanism, ScramCredential>> u = new TreeMap<>();
    users.forEach((name, creds) -> {
      if (!creds.isEmpty()) {
        u.put(name, Collections.unmodifiableMap(new TreeMap<>(creds)));
      }
    });
    users = Collections.unmodifiableMap(u);
  }

  /** The credential of {@code user} for {@code mechanism}, or null. */
  public ScramCredential credential(String user, ScramMechanism mechanism) {
    Map<ScramMechanism, ScramCredential> c = users.get(user);
    return c == null ? null : c.get(mechanism);
  }
}

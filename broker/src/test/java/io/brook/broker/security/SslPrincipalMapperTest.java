package io.brook.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Kafka's own examples of ssl.principal.mapping.rules (KIP-371, SslPrincipalMapperTest). */
class SslPrincipalMapperTest {
  @Test
  void defaultIsTheWholeDistinguishedName() {
    assertThat(SslPrincipalMapper.fromRules("DEFAULT").name("CN=alice,OU=Users,O=Example")).isEqualTo("CN=alice,OU=Users,O=Example");
    assertThat(SslPrincipalMapper.fromRules("").name("CN=x")).isEqualTo("CN=x");
  }

  @Test
  void rulesAreTriedInOrderAndMayHoldCommas() {
    SslPrincipalMapper m = SslPrincipalMapper.fromRules(
        "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/, RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L,"
            + "RULE:^cn=(.*?),ou=(.*?),dc=(.*?),dc=(.*?)$/$1@$2/U, RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U, DEFAULT");
    assertThat(m.name("CN=kafka-server1,OU=ServiceUsers,O=org,L=city,ST=state,C=US")).isEqualTo("kafka-server1");
    assertThat(m.name("CN=Duke,OU=JavaSoft,O=Sun Microsystems,L=Cupertino,ST=CA,C=US")).isEqualTo("duke@javasoft");
    assertThat(m.name("cn=duke,ou=javasoft,dc=sun,dc=com")).isEqualTo("DUKE@JAVASOFT");
    assertThat(m.name("OU=JavaSoft,O=Sun Microsystems,C=US,CN=foo.bar")).isEqualTo("FOO.BAR");
    assertThat(m.name("O=no common name")).isEqualTo("O=no common name");
  }

  @Test
  void escapedSlashesAndNoMatch() {
    SslPrincipalMapper m = SslPrincipalMapper.fromRules("RULE:^CN=(.*?),OU=(.*?)$/$1\\/$2/");
    assertThat(m.name("CN=a,OU=b")).isEqualTo("a/b");
    assertThatThrownBy(() -> m.name("O=other")).hasMessageContaining("no ssl.principal.mapping.rules rule matches");
  }

  @Test
  void invalidRulesAreRefused() {
    assertThatThrownBy(() -> SslPrincipalMapper.fromRules("RULE:^CN=(.*)$/$1")).hasMessageContaining("invalid rule");
    assertThatThrownBy(() -> SslPrincipalMapper.fromRules("DEFAULT, NONSENSE")).hasMessageContaining("NONSENSE");
  }
}

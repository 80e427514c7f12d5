package io.brook.broker.security;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kafka's {@code ssl.principal.mapping.rules} (KIP-371): turns a certificate's subject
 * distinguished name (RFC 2253 form, e.g. {@code CN=alice,OU=Users,O=Example}) into a user name.
 * Rules are comma-separated, tried in order, first match wins:
 *
 * <ul>
 *   <li>{@code RULE:pattern/replacement/} - if the Java regex {@code pattern} matches the whole DN,
 *       the name is {@code replacement} with {@code $1}... filled in; a trailing {@code L} or
 *       {@code U} lower- or upper-cases it ({@code RULE:^CN=(.*?),OU=.*$/$1/L});
 *   <li>{@code DEFAULT} - the DN itself.
 * </ul>
 *
 * A DN no rule matches is refused. The parser is Kafka's (commas inside a pattern are allowed).
 * Immutable, thread-safe.
 */
public final class SslPrincipalMapper {
  private static final String RULE_PATTERN = "(DEFAULT)|RULE:((\\\\.|[^\\\\/])*)/((\\\\.|[^\\\\/])*)/([LU]?).*?|(.*?)";
  private static final Pattern RULE_SPLITTER = Pattern.compile("\\s*(" + RULE_PATTERN + ")\\s*(,\\s*|$)");
  private static final Pattern RULE_PARSER = Pattern.compile(RULE_PATTERN);

  private final List<Rule> rules;

  private SslPrincipalMapper(List<Rule> rules) {
    this.rules = rules;
  }

  /**
   * Parses the rules.
   *
   * @throws IllegalArgumentException naming a rule that is neither DEFAULT nor RULE:p/r/[LU]
   */
  public static SslPrincipalMapper fromRules(String rules) {
    String s = rules == null || rules.isBlank() ? "DEFAULT" : rules.trim();
    List<Rule> out = new ArrayList<>();
    Matcher m = RULE_SPLITTER.matcher(s);
    while (m.find()) {
      String rule = m.group(1);
      if (rule.isEmpty() && m.end() >= s.length()) {
        break;
      }
      Matcher p = RULE_PARSER.matcher(rule);
      if (!p.lookingAt() || p.group(1) == null && p.group(2) == null) {
        throw new IllegalArgumentException("ssl.principal.mapping.rules: invalid rule '" + rule
            + "' (use RULE:pattern/replacement/[LU] or DEFAULT)");
      }
      if (p.group(1) != null) {
        out.add(new Rule(null, null, false, false));
      } else {
        out.add(new Rule(Pattern.compile(p.group(2)), p.group(4).replace("\\/", "/"), "L".equals(p.group(6)),
            "U".equals(p.group(6))));
      }
      if (m.end() >= s.length()) {
        break;
      }
    }
    return new SslPrincipalMapper(List.copyOf(out));
  }

  /**
   * The user name for {@code distinguishedName}.
   *
   * @throws IllegalArgumentException when no rule matches
   */
  public String name(String distinguishedName) {
    for (Rule r : rules) {
      String name = r.apply(distinguishedName);
      if (name != null) {
        return name;
      }
    }
    throw new IllegalArgumentException("no ssl.principal.mapping.rules rule matches the certificate subject '"
        + distinguishedName + "'");
  }

  private record Rule(Pattern pattern, String replacement, boolean lower, boolean upper) {
    String apply(String dn) {
      if (pattern == null) {
        return dn;
      }
      Matcher m = pattern.matcher(dn);
      if (!m.matches()) {
        return null;
      }
      String name = m.replaceAll(replacement);
      return lower ? name.toLowerCase(Locale.ENGLISH) : upper ? name.toUpperCase(Locale.ENGLISH) : name;
    }
  }
}

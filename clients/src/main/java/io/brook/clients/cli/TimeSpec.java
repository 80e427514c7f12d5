package io.brook.clients.cli;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

/** Times the tools take on the command line: epoch milliseconds or ISO-8601. */
final class TimeSpec {
  private TimeSpec() {}

  /**
   * Parses epoch ms ({@code 1764583200000}) or ISO-8601: an instant ({@code 2026-12-01T10:00:00Z}),
   * a date-time with offset ({@code 2026-12-01T11:00:00+01:00}), or without one ({@code
   * 2026-12-01T10:00}) or a date ({@code 2026-12-01}), both taken as UTC.
   *
   * @return epoch milliseconds
   * @throws IllegalArgumentException for anything else, or a negative epoch
   */
  static long parseTimestamp(String s) {
    String v = s.trim();
    if (v.matches("-?\\d+")) {
      long ms = Long.parseLong(v);
      if (ms < 0) {
        throw new IllegalArgumentException("a timestamp must be >= 0 epoch ms, got " + ms);
      }
      return ms;
    }
    try {
      return Instant.parse(v).toEpochMilli();
    } catch (DateTimeParseException ignored) {
      // next form
    }
    try {
      return OffsetDateTime.parse(v).toInstant().toEpochMilli();
    } catch (DateTimeParseException ignored) {
      // next form
    }
    try {
      return LocalDateTime.parse(v).toInstant(ZoneOffset.UTC).toEpochMilli();
    } catch (DateTimeParseException ignored) {
      // next form
    }
    try {
      return LocalDate.parse(v).atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli();
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("'" + s + "' is neither epoch ms nor ISO-8601 (e.g. 2026-12-01T10:00:00Z)");
    }
  }
}

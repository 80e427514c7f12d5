package io.brook.storage.record;

/**
 * Checks bytes, fed in any number of pieces, for well-formed UTF-8 as the Unicode standard defines
 * it (Table 3-7): no overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no
 * sequence cut off at the end. These are exactly the byte strings Java and protobuf decode to a
 * string and encode back unchanged, so a header key that passes can be returned on the
 * decoded-records path as it was written.
 *
 * <p>Not thread-safe.
 */
final class Utf8Validator {
  private int pending; // continuation bytes still expected
  private int lower = 0x80; // bounds of the next continuation byte
  private int upper = 0xBF;
  private boolean failed;

  /** Forgets everything fed so far, for the next string. */
  Utf8Validator reset() {
    pending = 0;
    failed = false;
    return this;
  }

  /** Feeds {@code len} bytes of {@code b} from {@code off}. */
  void update(byte[] b, int off, int len) {
    for (int i = off; i < off + len && !failed; i++) {
      int c = b[i] & 0xFF;
      if (pending == 0) {
        if (c < 0x80) {
          continue;
        }
        lower = 0x80;
        upper = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
          pending = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
          pending = 2;
          if (c == 0xE0) {
            lower = 0xA0; // overlong below U+0800
          } else if (c == 0xED) {
            upper = 0x9F; // surrogates
          }
        } else if (c >= 0xF0 && c <= 0xF4) {
          pending = 3;
          if (c == 0xF0) {
            lower = 0x90; // overlong below U+10000
          } else if (c == 0xF4) {
            upper = 0x8F; // above U+10FFFF
          }
        } else {
          failed = true; // 0x80..0xC1 (continuation or overlong lead), 0xF5..0xFF
        }
      } else {
        if (c < lower || c > upper) {
          failed = true;
        }
        pending--;
        lower = 0x80;
        upper = 0xBF;
      }
    }
  }

  /** True if everything fed so far is well-formed UTF-8 and no sequence is left open. */
  boolean isComplete() {
    return !failed && pending == 0;
  }

  /** Whether {@code b} is well-formed UTF-8. */
  static boolean isWellFormed(byte[] b) {
    Utf8Validator v = new Utf8Validator();
    v.update(b, 0, b.length);
    return v.isComplete();
  }
}

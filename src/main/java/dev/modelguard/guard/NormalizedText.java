package dev.modelguard.guard;

import java.text.Normalizer;

/**
 * The one normalisation shared by all guards: NFKC (so full-width {@code ＡＢＣ} and ligatures read
 * as ASCII) and removal of invisible format characters (zero-width spaces and joiners, bidi
 * controls, Unicode tag characters, soft hyphens), with every normalised offset mapped back to the
 * original text.
 *
 * <p>Immutable and thread-safe. Guards match on {@link #text()} and report offsets through
 * {@link #originalStart(int)} / {@link #originalEnd(int)}.
 */
public final class NormalizedText {
  private final String original;
  private final String text;
  /** For each normalised char, the original offset where the character it came from starts. */
  private final int[] starts;
  /** For each normalised char, the original offset where the character it came from ends. */
  private final int[] ends;

  private NormalizedText(String original, String text, int[] starts, int[] ends) {
    this.original = original;
    this.text = text;
    this.starts = starts;
    this.ends = ends;
  }

  /** Normalises {@code original}. */
  public static NormalizedText of(String original) {
    if (isAsciiOnly(original)) {
      // NFKC leaves ASCII unchanged and no ASCII character is invisible, so most prompts need
      // neither a copy nor offset tables.
      return new NormalizedText(original, original, null, null);
    }
    if (Normalizer.isNormalized(original, Normalizer.Form.NFKC) && !hasInvisible(original)) {
      // Text already in NFKC (most Chinese, Cyrillic, accented text) comes out of the per-cluster
      // normalisation below unchanged; the quick check avoids a substring and a Normalizer call per
      // character.
      return new NormalizedText(original, original, null, null);
    }
    StringBuilder out = new StringBuilder(original.length());
    int[] starts = new int[original.length() + 8];
    int[] ends = new int[original.length() + 8];
    int i = 0;
    int n = original.length();
    while (i < n) {
      int clusterStart = i;
      int cp = original.codePointAt(i);
      i += Character.charCount(cp);
      if (isInvisible(cp)) {
        continue;
      }
      // A base character and the combining marks after it normalise together.
      while (i < n) {
        int next = original.codePointAt(i);
        int type = Character.getType(next);
        if (type != Character.NON_SPACING_MARK && type != Character.COMBINING_SPACING_MARK
            && type != Character.ENCLOSING_MARK) {
          break;
        }
        i += Character.charCount(next);
      }
      boolean unchanged = i - clusterStart == 1 && keptByNfkc(cp);
      String norm = unchanged ? null
          : Normalizer.normalize(stripInvisible(original.substring(clusterStart, i)), Normalizer.Form.NFKC);
      int length = unchanged ? 1 : norm.length();
      for (int k = 0; k < length; k++) {
        int pos = out.length();
        if (pos >= starts.length) {
          starts = java.util.Arrays.copyOf(starts, starts.length * 2);
          ends = java.util.Arrays.copyOf(ends, ends.length * 2);
        }
        starts[pos] = clusterStart;
        ends[pos] = i;
        out.append(unchanged ? (char) cp : norm.charAt(k));
      }
    }
    String text = out.toString();
    if (text.equals(original)) {
      return new NormalizedText(original, original, null, null);
    }
    return new NormalizedText(original, text, starts, ends);
  }

  /**
   * True for characters that render as nothing and are used to hide or split text: zero-width
   * characters, bidi controls, Unicode tag characters, variation selectors and other format
   * characters (general category Cf).
   */
  public static boolean isInvisible(int cp) {
    if (Character.getType(cp) == Character.FORMAT) {
      return true; // U+200B-U+200F, U+202A-U+202E, U+2060-U+2064, U+2066-U+2069, U+FEFF, U+E0000 tags, U+00AD
    }
    return (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0100 && cp <= 0xE01EF) || cp == 0x115F || cp == 0x1160
        || cp == 0x3164 || cp == 0xFFA0;
  }

  /**
   * Characters that NFKC maps to themselves when they stand alone (no decomposition, nothing
   * composes with them): ASCII, CJK unified ideographs and Hangul syllables. Chinese text is mostly
   * ideographs, but its full-width punctuation keeps it off the whole-text fast path.
   */
  private static boolean keptByNfkc(int cp) {
    return cp < 0x80 || (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7A3);
  }

  private static boolean isAsciiOnly(String s) {
    for (int k = 0; k < s.length(); k++) {
      if (s.charAt(k) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  private static boolean hasInvisible(String s) {
    for (int k = 0; k < s.length(); ) {
      int cp = s.codePointAt(k);
      if (isInvisible(cp)) {
        return true;
      }
      k += Character.charCount(cp);
    }
    return false;
  }

  private static String stripInvisible(String s) {
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints().filter(cp -> !isInvisible(cp)).forEach(b::appendCodePoint);
    return b.toString();
  }

  /** The original text. */
  public String original() {
    return original;
  }

  /** The normalised text guards match on. */
  public String text() {
    return text;
  }

  /** True when normalisation changed nothing (offsets are identical). */
  public boolean isIdentity() {
    return starts == null;
  }

  /** Original offset of the character at normalised offset {@code index} (inclusive start). */
  public int originalStart(int index) {
    if (starts == null) {
      return index;
    }
    if (index >= text.length()) {
      return original.length();
    }
    return starts[index];
  }

  /** Original offset just after the character that ends at normalised offset {@code end} (exclusive). */
  public int originalEnd(int end) {
    if (ends == null) {
      return end;
    }
    if (end <= 0) {
      return 0;
    }
    return ends[Math.min(end, text.length()) - 1];
  }
}

package dev.modelguard.guard.rules;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.modelguard.guard.Categories;
import dev.modelguard.guard.Finding;
import dev.modelguard.guard.Guard;
import dev.modelguard.guard.GuardContext;
import dev.modelguard.guard.SimpleGuardFactory;
import dev.modelguard.guard.NormalizedText;
import dev.modelguard.guard.Segment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reports runs of invisible characters in the original text, category {@code invisible_text},
 * score 1.0: Unicode tag characters (U+E0000..U+E007F, used to smuggle ASCII instructions) as
 * {@code TAG_CHARACTERS}, bidi embedding/override/isolate controls as {@code BIDI_CONTROL}, and
 * every other character {@link NormalizedText#isInvisible(int)} accepts as {@code ZERO_WIDTH}.
 * Consecutive characters of the same label form one finding.
 *
 * <p>Not reported: code points listed in {@code allow}, a byte-order mark at offset 0, and a
 * single emoji variation selector (U+FE0E/U+FE0F) right after a visible character, which is how
 * ordinary emoji are written. Stateless and thread-safe; never blocks.
 */
public final class InvisibleTextGuard implements Guard {

  static final String TAG_CHARACTERS = "TAG_CHARACTERS";
  static final String BIDI_CONTROL = "BIDI_CONTROL";
  static final String ZERO_WIDTH = "ZERO_WIDTH";

  private final String name;
  private final Set<Integer> allowed;

  private InvisibleTextGuard(String name, Set<Integer> allowed) {
    this.name = name;
    this.allowed = allowed;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<Finding> inspect(Segment segment) {
    String text = segment.text();
    List<Finding> found = new ArrayList<>();
    String runLabel = null;
    int runStart = 0;
    int i = 0;
    while (i < text.length()) {
      int cp = text.codePointAt(i);
      int next = i + Character.charCount(cp);
      String label = labelOf(text, i, cp);
      if (!java.util.Objects.equals(label, runLabel)) {
        if (runLabel != null) {
          found.add(new Finding(name, Categories.INVISIBLE_TEXT, runLabel, 1.0, runStart, i));
        }
        runLabel = label;
        runStart = i;
      }
      i = next;
    }
    if (runLabel != null) {
      found.add(new Finding(name, Categories.INVISIBLE_TEXT, runLabel, 1.0, runStart, text.length()));
    }
    return found;
  }

  /** The label of the invisible character at {@code i}, or null when it is visible or tolerated. */
  private String labelOf(String text, int i, int cp) {
    if (!NormalizedText.isInvisible(cp) && !(cp >= 0xE0000 && cp <= 0xE007F) || allowed.contains(cp)) {
      return null;
    }
    if (cp == 0xFEFF && i == 0) {
      return null;
    }
    if ((cp == 0xFE0E || cp == 0xFE0F) && i > 0) {
      int before = text.codePointBefore(i);
      boolean nextIsSelector = i + 1 < text.length() && (text.charAt(i + 1) == '\uFE0E' || text.charAt(i + 1) == '\uFE0F');
      if (!NormalizedText.isInvisible(before) && !Character.isWhitespace(before) && !nextIsSelector) {
        return null;
      }
    }
    if (cp >= 0xE0000 && cp <= 0xE007F) {
      return TAG_CHARACTERS;
    }
    if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) {
      return BIDI_CONTROL;
    }
    return ZERO_WIDTH;
  }

  private static final Pattern CODE_POINT = Pattern.compile("(?i)U\\+([0-9A-F]{4,6})");

  /**
   * Configuration of the {@code invisible-text} guard.
   *
   * @param allow code points to tolerate, written {@code U+200D} (default none)
   */
  public record Config(@JsonProperty("allow") List<String> allow) {
    public Config {
      if (allow != null) {
        for (int i = 0; i < allow.size(); i++) {
          String a = allow.get(i);
          if (a == null || !CODE_POINT.matcher(a.strip()).matches()
              || Integer.parseInt(a.strip().substring(2), 16) > Character.MAX_CODE_POINT) {
            throw new IllegalArgumentException("allow[" + i + "]: '" + a + "' is not a code point like U+200D");
          }
        }
        allow = List.copyOf(allow);
      }
    }

    Set<Integer> codePoints() {
      Set<Integer> set = new HashSet<>();
      if (allow != null) {
        allow.forEach(a -> set.add(Integer.parseInt(a.strip().substring(2).toUpperCase(Locale.ROOT), 16)));
      }
      return Set.copyOf(set);
    }
  }

  /** Creates {@link InvisibleTextGuard}s for policy entries {@code guard: invisible-text}. */
  public static final class Factory extends SimpleGuardFactory<Config> {
    /** Used by {@link java.util.ServiceLoader}. */
    public Factory() {
      super("invisible-text", Config.class);
    }

    @Override
    public Guard create(Config config, GuardContext context) {
      Config c = config == null ? new Config(null) : config;
      return new InvisibleTextGuard(context.name(), c.codePoints());
    }
  }
}

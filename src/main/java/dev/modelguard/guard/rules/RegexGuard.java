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
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reports every match of user-supplied regular expressions, category {@code regex} unless a
 * pattern names another category, label the pattern's {@code label} (default: its name
 * upper-cased), score 1.0.
 *
 * <p>Patterns run on the normalised text (so full-width letters and hidden zero-width characters
 * cannot dodge them) and findings point into the original text. Patterns are compiled once, when
 * the config is bound; {@link #inspect} is thread-safe. Matches of zero length are ignored.
 */
public final class RegexGuard implements Guard {

  private final String name;
  private final List<PatternEntry> patterns;
  private final List<Pattern> compiled;

  private RegexGuard(String name, List<PatternEntry> patterns) {
    this.name = name;
    this.patterns = patterns;
    this.compiled = patterns.stream().map(PatternEntry::compile).toList();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<Finding> inspect(Segment segment) {
    NormalizedText nt = segment.normalized();
    List<Finding> found = new ArrayList<>();
    for (int i = 0; i < compiled.size(); i++) {
      PatternEntry entry = patterns.get(i);
      Matcher m = compiled.get(i).matcher(nt.text());
      while (m.find()) {
        if (m.end() > m.start()) {
          found.add(RuleSupport.finding(name, entry.effectiveCategory(), entry.effectiveLabel(), 1.0, nt,
              m.start(), m.end()));
        }
      }
    }
    found.sort(java.util.Comparator.comparingInt(Finding::start));
    return found;
  }

  /** Regex flags a pattern entry may set. */
  public enum Flag {
    @JsonProperty("case_insensitive")
    CASE_INSENSITIVE,
    @JsonProperty("multiline")
    MULTILINE,
    @JsonProperty("dotall")
    DOTALL
  }

  /**
   * One pattern.
   *
   * @param name required identifier of the pattern
   * @param pattern required Java regular expression
   * @param label label of the findings (default: {@code name} upper-cased)
   * @param category category of the findings (default {@code regex}; must be one of SPEC section 6)
   * @param flags optional flags ({@code case_insensitive}, {@code multiline}, {@code dotall})
   */
  public record PatternEntry(
      @JsonProperty("name") String name,
      @JsonProperty("pattern") String pattern,
      @JsonProperty("label") String label,
      @JsonProperty("category") String category,
      @JsonProperty("flags") List<Flag> flags) {

    /** Defaults {@code flags} to none; {@link Config} validates the entry and names its index in errors. */
    public PatternEntry {
      flags = flags == null ? List.of() : List.copyOf(flags);
    }

    String effectiveLabel() {
      return label != null ? label : name.toUpperCase(Locale.ROOT);
    }

    String effectiveCategory() {
      return category != null ? category : Categories.REGEX;
    }

    Pattern compile() {
      int f = Pattern.UNICODE_CASE;
      for (Flag flag : flags) {
        f |= switch (flag) {
          case CASE_INSENSITIVE -> Pattern.CASE_INSENSITIVE;
          case MULTILINE -> Pattern.MULTILINE;
          case DOTALL -> Pattern.DOTALL;
        };
      }
      return Pattern.compile(pattern, f);
    }
  }

  /**
   * Configuration of the {@code regex} guard.
   *
   * @param patterns at least one pattern; each is validated (name present, regex compiles,
   *     category known) with errors naming {@code patterns[i].key}
   */
  public record Config(@JsonProperty("patterns") List<PatternEntry> patterns) {
    public Config {
      if (patterns == null || patterns.isEmpty()) {
        throw new IllegalArgumentException("patterns: at least one pattern is required");
      }
      for (int i = 0; i < patterns.size(); i++) {
        PatternEntry p = patterns.get(i);
        String at = "patterns[" + i + "]";
        if (p == null) {
          throw new IllegalArgumentException(at + ": must not be null");
        }
        if (p.name() == null || p.name().isBlank()) {
          throw new IllegalArgumentException(at + ".name: is required");
        }
        if (p.pattern() == null || p.pattern().isEmpty()) {
          throw new IllegalArgumentException(at + ".pattern: is required");
        }
        if (p.category() != null && !Categories.ALL.contains(p.category())) {
          throw new IllegalArgumentException(at + ".category: unknown category '" + p.category() + "' (valid: "
              + String.join(", ", Categories.ALL) + ")");
        }
        try {
          p.compile();
        } catch (PatternSyntaxException e) {
          throw new IllegalArgumentException(at + ".pattern: invalid regex: " + e.getDescription() + " near index "
              + e.getIndex() + " in '" + e.getPattern() + "'", e);
        }
      }
      patterns = List.copyOf(patterns);
    }
  }

  /** Creates {@link RegexGuard}s for policy entries {@code guard: regex}. */
  public static final class Factory extends SimpleGuardFactory<Config> {
    /** Used by {@link java.util.ServiceLoader}. */
    public Factory() {
      super("regex", Config.class);
    }

    @Override
    public Guard create(Config config, GuardContext context) {
      if (config == null) {
        throw new IllegalArgumentException("patterns: at least one pattern is required");
      }
      return new RegexGuard(context.name(), config.patterns());
    }
  }
}

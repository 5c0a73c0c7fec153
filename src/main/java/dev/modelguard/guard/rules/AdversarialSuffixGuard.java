package dev.modelguard.guard.rules;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.modelguard.guard.Categories;
import dev.modelguard.guard.Finding;
import dev.modelguard.guard.Guard;
import dev.modelguard.guard.GuardContext;
import dev.modelguard.guard.SimpleGuardFactory;
import dev.modelguard.guard.Segment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Flags GCG-style adversarial suffixes: optimiser-found "token soup" such as
 * {@code ! MkCb " [essor == Dynam ( iDMv [` < -- RJ +}, which sentence encoders read as noise and
 * pass. Category {@code jailbreak}, label {@code ADVERSARIAL_SUFFIX}, span = from the first to the
 * last noise token of the flagged stretch (overlapping stretches merge into one finding).
 *
 * <p>A whitespace-separated token is noise when it is (a) one to three of the symbols
 * {@code [ ] ( ) ` ~ ^ | " ' $ % \ ! ? @ &} alone, (b) an ASCII letter string in random case that is
 * neither lower case, upper case nor CamelCase with words of three or more letters ({@code PgEhlrDV},
 * {@code iDMv}, {@code MkCb}), or (c) letters glued to bracket or escape debris
 * ({@code oppositeley.](}, {@code giving**ONE}). A window of {@code window} tokens is flagged when it
 * holds at least {@code minNoise} noise tokens, at least {@code minDistinct} of them distinct and at
 * least one of kind (b) or (c): distinctness keeps Markdown tables ({@code | a | b |}) and code
 * ({@code x = f(y)}, whose operators are not noise symbols) quiet, the letter rule keeps emphatic
 * punctuation ({@code ?! ?? ( no way )}) quiet. Score: {@code min(1, distinct / 8)}.
 *
 * <p>Stateless and thread-safe; never blocks; works on any window of a text. Misses suffixes made
 * of real but unrelated words ("Sommer kein lemma Freund") and most of the hand-optimised published
 * GCG strings, which read as CamelCase words and punctuation; those need a model.
 */
public final class AdversarialSuffixGuard implements Guard {
  static final String LABEL = "ADVERSARIAL_SUFFIX";

  private static final String NOISE_SYMBOLS = "[]()`~^|\"'$%\\!?@&";
  private static final Pattern TOKEN = Pattern.compile("\\S+");
  private static final Pattern CAMEL = Pattern.compile("[A-Za-z][a-z]*(?:[A-Z][a-z]{2,})*[A-Z]?s?");
  private static final Pattern UPPER = Pattern.compile("[A-Z]+s?");
  private static final Pattern GLUED = Pattern.compile(
      "[A-Za-z](?:\\]\\(|\\\\!|--|\\)\\]|\\[`|`\\||\\.\\]|\\\\\\+)|(?:\\]\\(|\\\\!)[A-Za-z]|[a-z]\\*\\*[A-Z]");

  private final String name;
  private final int window;
  private final int minNoise;
  private final int minDistinct;

  private AdversarialSuffixGuard(String name, int window, int minNoise, int minDistinct) {
    this.name = name;
    this.window = window;
    this.minNoise = minNoise;
    this.minDistinct = minDistinct;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<Finding> inspect(Segment segment) {
    String text = segment.text();
    List<int[]> tokens = new ArrayList<>();
    List<String> words = new ArrayList<>();
    Matcher m = TOKEN.matcher(text);
    while (m.find()) {
      tokens.add(new int[] {m.start(), m.end()});
      words.add(m.group());
    }
    boolean[] noise = new boolean[words.size()];
    for (int i = 0; i < noise.length; i++) {
      noise[i] = isNoise(words.get(i));
    }
    List<Finding> found = new ArrayList<>();
    int lastEnd = -1;
    for (int from = 0; from < Math.max(1, words.size() - window + 1); from++) {
      int to = Math.min(words.size(), from + window);
      int count = 0;
      int lettered = 0;
      Set<String> distinct = new HashSet<>();
      int first = -1;
      int last = -1;
      for (int i = from; i < to; i++) {
        if (noise[i]) {
          count++;
          distinct.add(words.get(i));
          lettered += words.get(i).chars().anyMatch(Character::isLetter) ? 1 : 0;
          first = first < 0 ? i : first;
          last = i;
        }
      }
      if (count < minNoise || distinct.size() < minDistinct || lettered == 0) {
        continue;
      }
      double score = Math.min(1.0, distinct.size() / 8.0);
      int start = tokens.get(first)[0];
      int end = tokens.get(last)[1];
      if (!found.isEmpty() && start <= lastEnd) {
        Finding prev = found.remove(found.size() - 1);
        found.add(new Finding(name, Categories.JAILBREAK, LABEL, Math.max(prev.score(), score), prev.start(),
            Math.max(prev.end(), end)));
      } else {
        found.add(new Finding(name, Categories.JAILBREAK, LABEL, score, start, end));
      }
      lastEnd = found.get(found.size() - 1).end();
    }
    return found;
  }

  static boolean isNoise(String token) {
    boolean alnum = token.chars().anyMatch(Character::isLetterOrDigit);
    if (!alnum) {
      return token.length() <= 3 && token.chars().allMatch(c -> NOISE_SYMBOLS.indexOf(c) >= 0);
    }
    boolean asciiLetters = token.length() >= 2 && token.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
    if (asciiLetters) {
      return !(token.chars().allMatch(Character::isLowerCase) || UPPER.matcher(token).matches()
          || CAMEL.matcher(token).matches());
    }
    return GLUED.matcher(token).find();
  }

  /**
   * Configuration of the {@code adversarial-suffix} guard.
   *
   * @param window tokens per sliding window, 6 to 64 (default 16)
   * @param minNoise noise tokens a window needs to be flagged (default 4)
   * @param minDistinct distinct noise tokens it needs, at most {@code minNoise} (default 4)
   */
  public record Config(@JsonProperty("window") Integer window, @JsonProperty("min_noise") Integer minNoise,
      @JsonProperty("min_distinct") Integer minDistinct) {
    public Config {
      if (window != null && (window < 6 || window > 64)) {
        throw new IllegalArgumentException("window: must be in [6, 64], was " + window);
      }
      int w = window == null ? 16 : window;
      if (minNoise != null && (minNoise < 2 || minNoise > w)) {
        throw new IllegalArgumentException("min_noise: must be in [2, window], was " + minNoise);
      }
      int n = minNoise == null ? 4 : minNoise;
      if (minDistinct != null && (minDistinct < 1 || minDistinct > n)) {
        throw new IllegalArgumentException("min_distinct: must be in [1, min_noise], was " + minDistinct);
      }
    }
  }

  /** Creates {@link AdversarialSuffixGuard}s for policy entries {@code guard: adversarial-suffix}. */
  public static final class Factory extends SimpleGuardFactory<Config> {
    /** Used by {@link java.util.ServiceLoader}. */
    public Factory() {
      super("adversarial-suffix", Config.class);
    }

    @Override
    public Guard create(Config config, GuardContext context) {
      Config c = config == null ? new Config(null, null, null) : config;
      return new AdversarialSuffixGuard(context.name(), c.window() == null ? 16 : c.window(),
          c.minNoise() == null ? 4 : c.minNoise(), c.minDistinct() == null ? 4 : c.minDistinct());
    }
  }
}

package dev.modelguard.guard.rules;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.modelguard.guard.Categories;
import dev.modelguard.guard.Finding;
import dev.modelguard.guard.Guard;
import dev.modelguard.guard.GuardContext;
import dev.modelguard.guard.SimpleGuardFactory;
import dev.modelguard.guard.NormalizedText;
import dev.modelguard.guard.Segment;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.ahocorasick.trie.Emit;
import org.ahocorasick.trie.Trie;

/**
 * Reports occurrences of banned words or phrases, category {@code banned_substring} by default
 * (or the configured one, e.g. {@code banned_topic}), score 1.0.
 *
 * <p>Matching is case- and width-insensitive: words and text go through the shared
 * {@link NormalizedText} normalisation and are lower-cased one UTF-16 unit at a time, which keeps
 * offsets aligned with the normalised text. All words are searched in one pass with an
 * Aho-Corasick automaton, so the cost does not grow with the length of the list. By default a word
 * matches anywhere (Chinese and Japanese have no spaces); with {@code whole_words} a word that
 * starts or ends with a letter of a spaced script must not touch another letter or digit there.
 * A match contained in a longer match is not reported separately.
 *
 * <p>The automaton is built once; {@link #inspect} is thread-safe and never blocks.
 */
public final class SubstringsGuard implements Guard {

  private final String name;
  private final String category;
  private final String label;
  private final boolean wholeWords;
  private final Trie trie;

  private SubstringsGuard(String name, String category, String label, boolean wholeWords, Set<String> words) {
    this.name = name;
    this.category = category;
    this.label = label;
    this.wholeWords = wholeWords;
    this.trie = Trie.builder().addKeywords(words).build();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<Finding> inspect(Segment segment) {
    NormalizedText nt = segment.normalized();
    String folded = fold(nt.text());
    List<Emit> emits = new ArrayList<>();
    for (Emit e : trie.parseText(folded)) {
      if (!wholeWords || atWordBoundaries(folded, e.getStart(), e.getEnd() + 1)) {
        emits.add(e);
      }
    }
    emits.sort(Comparator.comparingInt(Emit::getStart).thenComparing(Comparator.comparingInt(Emit::getEnd).reversed()));
    List<Finding> found = new ArrayList<>();
    int coveredUntil = -1;
    for (Emit e : emits) {
      int end = e.getEnd() + 1;
      if (end <= coveredUntil) {
        continue;
      }
      coveredUntil = end;
      found.add(RuleSupport.finding(name, category, label, 1.0, nt, e.getStart(), end));
    }
    return found;
  }

  /** Lower-cases char by char so the result has the same length as the input. */
  static String fold(String s) {
    char[] chars = s.toCharArray();
    for (int i = 0; i < chars.length; i++) {
      chars[i] = Character.toLowerCase(chars[i]);
    }
    return new String(chars);
  }

  private static boolean atWordBoundaries(String text, int start, int end) {
    if (isSpacedLetter(text.charAt(start)) && start > 0 && Character.isLetterOrDigit(text.charAt(start - 1))) {
      return false;
    }
    return !(isSpacedLetter(text.charAt(end - 1)) && end < text.length() && Character.isLetterOrDigit(text.charAt(end)));
  }

  /** A letter or digit of a script that separates words with spaces (not Han, kana, Thai...). */
  private static boolean isSpacedLetter(char c) {
    if (!Character.isLetterOrDigit(c)) {
      return false;
    }
    Character.UnicodeScript script = Character.UnicodeScript.of(c);
    return switch (script) {
      case HAN, HIRAGANA, KATAKANA, THAI, LAO, KHMER, MYANMAR, TIBETAN -> false;
      default -> true;
    };
  }

  /**
   * Configuration of the {@code substrings} guard. At least one word must come from {@code words}
   * or {@code file}.
   *
   * @param words the banned words or phrases
   * @param file a UTF-8 word list, one entry per line, {@code #} starts a comment line; resolved
   *     against the policy's directory; a missing file is an error naming the resolved path
   * @param label label of the findings (default none)
   * @param category category of the findings (default {@code banned_substring})
   * @param wholeWords when true, latin-script words only match between non-letters (default false)
   */
  public record Config(
      @JsonProperty("words") List<String> words,
      @JsonProperty("file") String file,
      @JsonProperty("label") String label,
      @JsonProperty("category") String category,
      @JsonProperty("whole_words") Boolean wholeWords) {
    public Config {
      if ((words == null || words.isEmpty()) && (file == null || file.isBlank())) {
        throw new IllegalArgumentException("words: give a list of words or a file");
      }
      if (words != null) {
        for (int i = 0; i < words.size(); i++) {
          if (words.get(i) == null || normalizeWord(words.get(i)).isEmpty()) {
            throw new IllegalArgumentException("words[" + i + "]: must not be empty");
          }
        }
        words = List.copyOf(words);
      }
      if (category != null && !Categories.ALL.contains(category)) {
        throw new IllegalArgumentException(
            "category: unknown category '" + category + "' (valid: " + String.join(", ", Categories.ALL) + ")");
      }
    }
  }

  private static String normalizeWord(String word) {
    return fold(NormalizedText.of(word.strip()).text());
  }

  /** Creates {@link SubstringsGuard}s for policy entries {@code guard: substrings}; reads the word file. */
  public static final class Factory extends SimpleGuardFactory<Config> {
    /** Used by {@link java.util.ServiceLoader}. */
    public Factory() {
      super("substrings", Config.class);
    }

    @Override
    public Guard create(Config config, GuardContext context) throws IOException {
      if (config == null) {
        throw new IllegalArgumentException("words: give a list of words or a file");
      }
      Set<String> words = new LinkedHashSet<>();
      if (config.words() != null) {
        config.words().forEach(w -> words.add(normalizeWord(w)));
      }
      if (config.file() != null && !config.file().isBlank()) {
        Path path = context.baseDir().resolve(config.file()).toAbsolutePath().normalize();
        List<String> lines;
        try {
          lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
          throw new IllegalArgumentException("file: word list not found: " + path, e);
        }
        for (String line : lines) {
          String w = normalizeWord(line);
          if (!w.isEmpty() && !w.startsWith("#")) {
            words.add(w);
          }
        }
        if (words.isEmpty()) {
          throw new IllegalArgumentException("file: word list " + path + " has no entries");
        }
      }
      String category = config.category() != null ? config.category() : Categories.BANNED_SUBSTRING;
      return new SubstringsGuard(context.name(), category, config.label(),
          Boolean.TRUE.equals(config.wholeWords()), words);
    }
  }
}

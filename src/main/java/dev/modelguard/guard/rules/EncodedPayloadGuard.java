package dev.modelguard.guard.rules;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.modelguard.guard.Categories;
import dev.modelguard.guard.Finding;
import dev.modelguard.guard.Guard;
import dev.modelguard.guard.GuardContext;
import dev.modelguard.guard.SimpleGuardFactory;
import dev.modelguard.guard.Segment;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds instructions hidden in encodings that text classifiers cannot read: runs of base64, hex
 * (plain, {@code \x49}-escaped or byte-spaced) and ROT13 that decode to readable text containing
 * instruction vocabulary (English or Chinese: "ignore … instructions", "system prompt", "forward",
 * "忽略", "指令" …). Category {@code prompt_injection}, label {@code ENCODED_PAYLOAD}, span = the
 * encoded run in the original text.
 *
 * <p>Score: 1.0 when the decoded text holds an override phrase ("ignore previous", "system prompt",
 * "忽略之前" …) or three instruction words, 0.8 for two; one word alone is not reported, so encoded
 * configuration, tokens, hashes and images (which decode to binary or to text without instruction
 * words) pass. ROT13 is reported only when the decoded run has such words and the run itself has
 * none (plain English read backwards through ROT13 never does). Stateless and thread-safe; never
 * blocks; works on any window of a text.
 */
public final class EncodedPayloadGuard implements Guard {
  static final String LABEL = "ENCODED_PAYLOAD";

  /** The encodings this guard can read. */
  public enum Encoding {
    /** Standard or URL-safe base64, padded or not. */
    BASE64,
    /** Hexadecimal bytes: a plain run, {@code \xNN} escapes, or bytes separated by spaces or colons. */
    HEX,
    /** ROT13 of Latin letters. */
    ROT13
  }

  private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/_-]{16,}={0,2}");
  private static final Pattern HEX_PLAIN = Pattern.compile("(?<![0-9A-Za-z])(?:0x)?([0-9A-Fa-f]{16,})(?![0-9A-Za-z])");
  private static final Pattern HEX_ESCAPED = Pattern.compile("(?:\\\\x[0-9A-Fa-f]{2}){8,}");
  private static final Pattern HEX_SPACED = Pattern.compile("(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}[ :]){7,}[0-9A-Fa-f]{2}(?![0-9A-Fa-f])");
  private static final Pattern LATIN_RUN = Pattern.compile("[A-Za-z][A-Za-z ,.'!?:;\"-]{15,}");

  /** Phrases that on their own mean "change what the model does". */
  private static final Pattern OVERRIDE = Pattern.compile("(?i)\\b(?:ignore|disregard|forget)\\b.{0,30}\\b(?:previous|prior|above"
      + "|earlier|all|your|everything|the user|the system)\\b|\\bsystem\\s+prompt\\b|\\b(?:previous|prior|original)\\s+instructions?\\b"
      + "|忽略|无视|不要理会|系统提示|之前的(?:所有)?(?:指令|指示|要求)");
  /** Literals every {@link #OVERRIDE} match contains: a text without any of them needs no regex. */
  private static final List<String> OVERRIDE_LITERALS = List.of("ignore", "disregard", "forget", "system", "instruction",
      "忽略", "无视", "不要理会", "系统提示", "之前的");
  /** Instruction words, matched as whole words (maximal runs of letters, digits and '_'), ASCII case folded. */
  private static final Set<String> WORDS = Set.of("ignore", "disregard", "forget", "instruction", "instructions", "rules",
      "prompt", "reveal", "password", "forward", "send", "delete", "execute", "run", "say", "print", "output", "respond",
      "reply", "pretend", "unrestricted", "jailbreak", "bypass", "override", "admin", "secret", "email", "emails",
      "exfiltrate", "restriction", "restrictions", "insult", "answer", "tell", "write", "instead", "file", "files",
      "history", "conversation", "user", "users");
  /** Instruction phrases of whole words separated by single spaces, and hyphenated words. */
  private static final List<String> PHRASES = List.of("you are now", "you must", "from now on", "e-mail", "e-mails");
  /** Chinese instruction words, matched anywhere. */
  private static final List<String> CHINESE_WORDS = List.of("指令", "规则", "提示词", "密码", "转发", "删除", "执行", "输出",
      "回复", "回答", "限制", "越狱", "邮件", "假装", "扮演", "文件", "用户", "你现在", "从现在开始", "不要", "所有");

  private final String name;
  private final Set<Encoding> encodings;
  private final int minChars;

  private EncodedPayloadGuard(String name, Set<Encoding> encodings, int minChars) {
    this.name = name;
    this.encodings = encodings;
    this.minChars = minChars;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<Finding> inspect(Segment segment) {
    String text = segment.text();
    List<Finding> found = new ArrayList<>();
    if (encodings.contains(Encoding.HEX)) {
      scan(text, HEX_ESCAPED, found, m -> hex(m.group().replace("\\x", "").replace("\\X", "")));
      scan(text, HEX_SPACED, found, m -> hex(m.group().replaceAll("[ :]", "")));
      scan(text, HEX_PLAIN, found, m -> hex(m.group(1)));
    }
    if (encodings.contains(Encoding.BASE64)) {
      scan(text, BASE64, found, m -> base64(m.group()));
    }
    if (encodings.contains(Encoding.ROT13)) {
      Matcher m = LATIN_RUN.matcher(text);
      while (m.find()) {
        String run = m.group();
        if (run.length() >= minChars && score(run) == 0 && overlapsNone(found, m.start(), m.end())) {
          double s = score(rot13(run));
          if (s > 0) {
            found.add(new Finding(name, Categories.PROMPT_INJECTION, LABEL, s, m.start(), m.end()));
          }
        }
      }
    }
    found.sort(java.util.Comparator.comparingInt(Finding::start));
    return found;
  }

  private void scan(String text, Pattern pattern, List<Finding> found, java.util.function.Function<Matcher, String> decode) {
    Matcher m = pattern.matcher(text);
    while (m.find()) {
      if (m.end() - m.start() < minChars || !overlapsNone(found, m.start(), m.end())) {
        continue;
      }
      String decoded = decode.apply(m);
      double s = decoded == null || !readable(decoded) ? 0 : score(decoded);
      if (s > 0) {
        found.add(new Finding(name, Categories.PROMPT_INJECTION, LABEL, s, m.start(), m.end()));
      }
    }
  }

  private static boolean overlapsNone(List<Finding> found, int start, int end) {
    return found.stream().noneMatch(f -> f.start() < end && start < f.end());
  }

  /**
   * 1.0 for an override phrase or three distinct instruction words, 0.8 for two, else 0. Words are
   * found with one pass over the text (a regex alternation of 60 words cost 0.4 µs per character).
   */
  static double score(String decoded) {
    String folded = asciiLower(decoded);
    for (String literal : OVERRIDE_LITERALS) {
      if (folded.contains(literal)) {
        if (OVERRIDE.matcher(decoded).find()) {
          return 1.0;
        }
        break;
      }
    }
    Set<String> words = new HashSet<>();
    int n = folded.length();
    for (int i = 0; i < n; ) {
      if (!isWordChar(folded.charAt(i))) {
        i++;
        continue;
      }
      int end = i;
      while (end < n && isWordChar(folded.charAt(end))) {
        end++;
      }
      String word = folded.substring(i, end);
      if (WORDS.contains(word)) {
        words.add(word);
      }
      for (String phrase : PHRASES) {
        if (folded.startsWith(phrase, i) && (i + phrase.length() == n || !isWordChar(folded.charAt(i + phrase.length())))) {
          words.add(phrase);
        }
      }
      i = end;
    }
    for (String word : CHINESE_WORDS) {
      if (folded.contains(word)) {
        words.add(word);
      }
    }
    return words.size() >= 3 ? 1.0 : words.size() == 2 ? 0.8 : 0;
  }

  /** A character of a word, as {@code \b} sees it on Java 17. */
  private static boolean isWordChar(char c) {
    return Character.isLetterOrDigit(c) || c == '_';
  }

  /** {@code s} with ASCII letters in lower case, as {@code (?i)} folds them; other characters kept. */
  private static String asciiLower(String s) {
    char[] chars = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        if (chars == null) {
          chars = s.toCharArray();
        }
        chars[i] = (char) (c + ('a' - 'A'));
      }
    }
    return chars == null ? s : new String(chars);
  }

  /** Mostly letters, digits, spaces and punctuation, with at least two words or Han characters. */
  private static boolean readable(String s) {
    int good = 0;
    int letters = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isLetterOrDigit(c) || c == ' ' || c == '\n' || (c >= 0x21 && c <= 0x7E) || Character.isIdeographic(c)
          || Character.getType(c) == Character.OTHER_PUNCTUATION || Character.getType(c) == Character.START_PUNCTUATION
          || Character.getType(c) == Character.END_PUNCTUATION) {
        good++;
      }
      if (Character.isLetter(c)) {
        letters++;
      }
    }
    return !s.isEmpty() && good >= 0.9 * s.length() && letters >= 4 && (s.contains(" ") || s.codePoints().anyMatch(Character::isIdeographic));
  }

  private static String hex(String digits) {
    if (digits.length() % 2 != 0) {
      return null;
    }
    return utf8(HexFormat.of().parseHex(digits));
  }

  private static String base64(String run) {
    String body = run.replace("=", "");
    if (body.length() % 4 == 1 || body.matches("[0-9A-Fa-f]+")) {
      return null;
    }
    try {
      byte[] bytes = body.indexOf('-') >= 0 || body.indexOf('_') >= 0
          ? Base64.getUrlDecoder().decode(body) : Base64.getDecoder().decode(body + "==".substring(0, (4 - body.length() % 4) % 4));
      return utf8(bytes);
    } catch (IllegalArgumentException e) {
      // Mixed alphabets or a stray '/' in a URL-safe run: not base64.
      return null;
    }
  }

  private static String utf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  static String rot13(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 'a' && c <= 'z') {
        c = (char) ('a' + (c - 'a' + 13) % 26);
      } else if (c >= 'A' && c <= 'Z') {
        c = (char) ('A' + (c - 'A' + 13) % 26);
      }
      b.append(c);
    }
    return b.toString();
  }

  /**
   * Configuration of the {@code encoded-payload} guard.
   *
   * @param encodings which encodings to read, of {@code base64}, {@code hex}, {@code rot13} (default all)
   * @param minChars shortest encoded run considered, at least 16 (default 24)
   */
  public record Config(@JsonProperty("encodings") List<String> encodings, @JsonProperty("min_chars") Integer minChars) {
    public Config {
      if (encodings != null) {
        for (int i = 0; i < encodings.size(); i++) {
          String e = encodings.get(i);
          if (e == null || !List.of("base64", "hex", "rot13").contains(e.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("encodings[" + i + "]: '" + e + "' is not one of base64, hex, rot13");
          }
        }
        encodings = List.copyOf(encodings);
      }
      if (minChars != null && minChars < 16) {
        throw new IllegalArgumentException("min_chars: must be at least 16, was " + minChars);
      }
    }

    Set<Encoding> enabled() {
      if (encodings == null) {
        return EnumSet.allOf(Encoding.class);
      }
      Set<Encoding> set = EnumSet.noneOf(Encoding.class);
      encodings.forEach(e -> set.add(Encoding.valueOf(e.toUpperCase(Locale.ROOT))));
      return set;
    }
  }

  /** Creates {@link EncodedPayloadGuard}s for policy entries {@code guard: encoded-payload}. */
  public static final class Factory extends SimpleGuardFactory<Config> {
    /** Used by {@link java.util.ServiceLoader}. */
    public Factory() {
      super("encoded-payload", Config.class);
    }

    @Override
    public Guard create(Config config, GuardContext context) {
      Config c = config == null ? new Config(null, null) : config;
      return new EncodedPayloadGuard(context.name(), c.enabled(), c.minChars() == null ? 24 : c.minChars());
    }
  }
}

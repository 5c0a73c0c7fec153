package dev.modelguard.policy.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.modelguard.config.SourceLocation;
import dev.modelguard.config.YamlSupport;
import dev.modelguard.guard.Categories;
import dev.modelguard.guard.Direction;
import dev.modelguard.policy.Action;
import dev.modelguard.policy.PolicyException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A policy test case file ({@code policies/tests/*.yaml}): the policy under test and its cases.
 *
 * <pre>
 * policy: default
 * cases:
 *   - name: e-mail is redacted
 *     text: "Write to alice@example.com"      # or messages: [{role: user, content: ...}]
 *     direction: prompt                        # default prompt
 *     expect:
 *       verdict: redact                        # allow | flag | redact | block (the decision, also in monitor mode)
 *       categories: [pii]                      # optional: the exact set
 *       labels: [EMAIL]                        # optional: labels that must be among the findings
 *       redacted_text: "Write to [EMAIL_1]"    # optional, text cases only; null expects no redaction
 *       enforced: true                         # optional: false for a policy in monitor mode
 * </pre>
 *
 * <p>Immutable. {@link #parse} reads strictly: unknown keys, a missing name or verdict, both or
 * neither of {@code text} and {@code messages}, unknown categories and duplicate case names fail
 * with {@code FILE:LINE:COL: path: message} lines.
 *
 * @param file the file as named by the user
 * @param policy the policy name (or a path to a policy file) the cases run against
 * @param policyLocation where {@code policy:} is written, for errors about it
 * @param cases the cases in file order
 */
public record PolicyCaseFile(Path file, String policy, SourceLocation policyLocation, List<Case> cases) {
  private static final Set<String> TOP_KEYS = Set.of("policy", "cases");
  private static final Set<String> CASE_KEYS = Set.of("name", "text", "messages", "direction", "expect");
  private static final Set<String> EXPECT_KEYS = Set.of("verdict", "categories", "labels", "redacted_text", "enforced");

  public PolicyCaseFile {
    cases = List.copyOf(cases);
  }

  /**
   * One case.
   *
   * @param name the case's name, unique in its file
   * @param line the line the case starts on
   * @param input what is scanned
   * @param expect what the policy must decide
   */
  public record Case(String name, int line, ScanInput input, Expect expect) {}

  /**
   * What a case expects; absent optional parts are not checked.
   *
   * @param verdict the policy's decision ({@code verdict} of the check API, also in monitor mode)
   * @param categories the exact set of categories, or null
   * @param labels labels that must all appear among the findings, or null
   * @param checksRedactedText whether {@code redacted_text} was written
   * @param redactedText the expected redacted text; null (when checked) expects no redaction
   * @param enforced whether the decision is enforced, or null
   */
  public record Expect(Action verdict, Set<String> categories, Set<String> labels, boolean checksRedactedText,
      String redactedText, Boolean enforced) {}

  /**
   * Reads and checks one case file.
   *
   * @throws PolicyException with every error found, each naming the file, line and key; a missing
   *     file is {@code FILE: no such file}
   */
  public static PolicyCaseFile parse(Path file) {
    String display = file.toString();
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new PolicyException(List.of(display + ": no such file"));
    } catch (IOException e) {
      throw new PolicyException(List.of(display + ": cannot read: " + e.getMessage()));
    }
    Map<String, SourceLocation> locations = YamlSupport.locate(text, display);
    JsonNode root;
    try {
      root = YamlSupport.mapper().readTree(text);
    } catch (JsonProcessingException e) {
      throw new PolicyException(List.of(YamlSupport.describe(e, display, locations, "", List.of())));
    }
    Reader r = new Reader(display, locations);
    if (root == null || !root.isObject()) {
      throw new PolicyException(List.of(display + ":1:1: expected a mapping with policy: and cases:"));
    }
    r.unknownKeys(root, "", TOP_KEYS);
    String policy = r.string(root, "", "policy", true);
    List<Case> cases = new ArrayList<>();
    JsonNode list = root.get("cases");
    if (list == null || list.isNull() || (list.isArray() && list.isEmpty())) {
      r.error("cases", "is required: a list of at least one case ({name, text, expect: {verdict}})");
    } else if (!list.isArray()) {
      r.error("cases", "expected a list of cases");
    } else {
      Map<String, Integer> names = new HashMap<>();
      for (int i = 0; i < list.size(); i++) {
        Case c = r.parseCase(list.get(i), "cases[" + i + "]");
        if (c != null) {
          Integer before = names.putIfAbsent(c.name(), i);
          if (before != null) {
            r.error("cases[" + i + "].name", "duplicate case name '" + c.name() + "' (also cases[" + before + "])");
          }
          cases.add(c);
        }
      }
    }
    if (!r.errors.isEmpty()) {
      throw new PolicyException(r.errors);
    }
    return new PolicyCaseFile(file, policy, YamlSupport.lookup(locations, "policy"), cases);
  }

  /** Collects every error of one file instead of stopping at the first. */
  private static final class Reader {
    final String display;
    final Map<String, SourceLocation> locations;
    final List<String> errors = new ArrayList<>();

    Reader(String display, Map<String, SourceLocation> locations) {
      this.display = display;
      this.locations = locations;
    }

    void error(String path, String message) {
      SourceLocation loc = YamlSupport.lookup(locations, path);
      errors.add(YamlSupport.format(loc == null ? new SourceLocation(display, 1, 1) : loc, path, message));
    }

    void unknownKeys(JsonNode node, String path, Set<String> valid) {
      node.fieldNames().forEachRemaining(k -> {
        if (!valid.contains(k)) {
          error(YamlSupport.join(path, k), "unknown key (valid: " + String.join(", ", valid.stream().sorted().toList()) + ")");
        }
      });
    }

    String string(JsonNode parent, String path, String key, boolean required) {
      JsonNode n = parent.get(key);
      String at = YamlSupport.join(path, key);
      if (n == null || n.isNull()) {
        if (required) {
          error(at, "is required");
        }
        return null;
      }
      if (!n.isTextual()) {
        error(at, "expected a string, got '" + n + "'");
        return null;
      }
      return n.textValue();
    }

    Set<String> strings(JsonNode parent, String path, String key) {
      JsonNode n = parent.get(key);
      String at = YamlSupport.join(path, key);
      if (n == null) {
        return null;
      }
      if (!n.isArray()) {
        error(at, "expected a list of strings, e.g. [pii]");
        return null;
      }
      Set<String> out = new LinkedHashSet<>();
      for (int i = 0; i < n.size(); i++) {
        if (!n.get(i).isTextual()) {
          error(at + "[" + i + "]", "expected a string, got '" + n.get(i) + "'");
        } else {
          out.add(n.get(i).textValue());
        }
      }
      return out;
    }

    Case parseCase(JsonNode node, String path) {
      int before = errors.size();
      if (node == null || !node.isObject()) {
        error(path, "expected a mapping such as {name: ..., text: ..., expect: {verdict: allow}}");
        return null;
      }
      unknownKeys(node, path, CASE_KEYS);
      String name = string(node, path, "name", true);
      Direction direction = Direction.PROMPT;
      String dir = string(node, path, "direction", false);
      if (dir != null) {
        try {
          direction = Direction.parse(dir);
        } catch (IllegalArgumentException e) {
          error(path + ".direction", e.getMessage());
        }
      }
      ScanInput input = null;
      boolean hasText = node.hasNonNull("text");
      boolean hasMessages = node.hasNonNull("messages");
      if (hasText == hasMessages) {
        error(path, hasText ? "give text or messages, not both" : "text or messages is required");
      } else if (hasText) {
        String text = string(node, path, "text", true);
        input = text == null ? null : ScanInput.text(direction, text);
      } else {
        try {
          input = ScanInput.messages(direction, node.get("messages"));
        } catch (IllegalArgumentException e) {
          error(path + ".messages", e.getMessage());
        }
      }
      Expect expect = parseExpect(node.get("expect"), path + ".expect", input != null && input.singleText());
      if (errors.size() > before || input == null || expect == null) {
        return null;
      }
      return new Case(name, YamlSupport.lookup(locations, path).line(), input, expect);
    }

    Expect parseExpect(JsonNode node, String path, boolean singleText) {
      if (node == null || !node.isObject()) {
        error(path, "is required: a mapping with at least verdict (allow, flag, redact or block)");
        return null;
      }
      unknownKeys(node, path, EXPECT_KEYS);
      Action verdict = null;
      String v = string(node, path, "verdict", true);
      if (v != null) {
        try {
          verdict = Action.parse(v);
        } catch (IllegalArgumentException e) {
          error(path + ".verdict", e.getMessage());
        }
      }
      Set<String> categories = strings(node, path, "categories");
      if (categories != null) {
        for (String c : categories) {
          if (!Categories.ALL.contains(c)) {
            error(path + ".categories", "unknown category '" + c + "' (valid: " + String.join(", ", Categories.ALL) + ")");
          }
        }
      }
      Set<String> labels = strings(node, path, "labels");
      boolean checksRedacted = node.has("redacted_text");
      String redacted = null;
      if (checksRedacted) {
        if (!singleText) {
          error(path + ".redacted_text", "applies to text cases only, not to messages");
        }
        JsonNode r = node.get("redacted_text");
        if (!r.isNull() && !r.isTextual()) {
          error(path + ".redacted_text", "expected a string (or null for no redaction), got '" + r + "'");
        }
        redacted = r.isTextual() ? r.textValue() : null;
      }
      Boolean enforced = null;
      JsonNode e = node.get("enforced");
      if (e != null && !e.isNull()) {
        if (!e.isBoolean()) {
          error(path + ".enforced", "expected true or false, got '" + e + "'");
        } else {
          enforced = e.booleanValue();
        }
      }
      return verdict == null ? null : new Expect(verdict, categories, labels, checksRedacted, redacted, enforced);
    }
  }
}

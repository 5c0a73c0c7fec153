package dev.modelguard.policy.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelguard.api.Jsons;
import dev.modelguard.guard.Direction;
import dev.modelguard.policy.Action;
import dev.modelguard.policy.Policy;
import dev.modelguard.policy.PolicyEngine;
import dev.modelguard.policy.ScanResult;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Replays recorded inputs through two policies and reports every decision that changes: the way
 * to see what a policy edit will do before it goes live.
 *
 * <p>The replay file is JSONL. A line with {@code text} (a string) or {@code messages} (an OpenAI
 * chat array) is replayed in its {@code direction} (default prompt): the fields of a check API
 * request, and also those of an audit event written under {@code audit.text: full}. An audit event
 * without text (written under {@code audit.text: none}, or a rejected request) is skipped and
 * counted. Anything else is an error.
 *
 * <p>Stateless; {@link #run} blocks while scanning, so call it from a plain thread.
 */
public final class PolicyDiff {
  /** Characters of an input shown beside a change, enough to recognise it. */
  private static final int EXCERPT_CHARS = 60;

  private PolicyDiff() {}

  /**
   * One policy's decision about one input.
   *
   * @param verdict the decision (as the check API reports it, also in monitor mode)
   * @param categories the categories that triggered it, in first-seen order
   * @param enforced false when the policy is in monitor mode (the client sees allow)
   */
  public record Decision(Action verdict, List<String> categories, boolean enforced) {
    public Decision {
      categories = List.copyOf(categories);
    }

    static Decision of(ScanResult r) {
      return new Decision(r.verdict(), r.categories().stream().sorted().toList(), r.enforced());
    }

    /** {@code block [secret]}, with {@code (monitor)} when not enforced. */
    @Override
    public String toString() {
      return verdict.wireName() + (categories.isEmpty() ? "" : " " + categories) + (enforced ? "" : " (monitor)");
    }

    /**
     * Whether the two decisions differ for a client or an auditor: another verdict, other
     * categories, or the same non-allow verdict enforced by one policy and only monitored by the
     * other (an allow is an allow either way).
     */
    public boolean differsFrom(Decision other) {
      return verdict != other.verdict || !categories.equals(other.categories)
          || (enforced != other.enforced && verdict != Action.ALLOW);
    }

    ObjectNode toJson() {
      ObjectNode o = Jsons.MAPPER.createObjectNode();
      o.put("verdict", verdict.wireName());
      ArrayNode cats = o.putArray("categories");
      categories.forEach(cats::add);
      o.put("enforced", enforced);
      return o;
    }
  }

  /**
   * One input whose decision changed.
   *
   * @param line the replay file's line (1-based)
   * @param direction the input's direction
   * @param excerpt the start of the input's text, on one line
   * @param from the decision of the first policy
   * @param to the decision of the second policy
   */
  public record Change(int line, Direction direction, String excerpt, Decision from, Decision to) {}

  /**
   * The outcome of a replay.
   *
   * @param from the first policy's name and version
   * @param to the second policy's name and version
   * @param replayed inputs scanned by both policies
   * @param skipped audit events without text
   * @param changes inputs whose decisions differ ({@link Decision#differsFrom}), in file order
   */
  public record Report(Policy from, Policy to, int replayed, int skipped, List<Change> changes) {
    public Report {
      changes = List.copyOf(changes);
    }

    /** {@code N replayed, M changed, K skipped (no text)}. */
    public String summary() {
      return replayed + " replayed, " + changes.size() + " changed, " + skipped + " skipped (no text)";
    }

    /** The report as one JSON object. */
    public ObjectNode toJson(Path replay) {
      ObjectNode o = Jsons.MAPPER.createObjectNode();
      o.put("from", from.name()).put("from_version", from.version());
      o.put("to", to.name()).put("to_version", to.version());
      o.put("replay", replay.toString());
      o.put("replayed", replayed).put("changed", changes.size()).put("skipped", skipped);
      ArrayNode list = o.putArray("changes");
      for (Change c : changes) {
        ObjectNode item = list.addObject();
        item.put("line", c.line()).put("direction", c.direction().wireName()).put("excerpt", c.excerpt());
        item.set("from", c.from().toJson());
        item.set("to", c.to().toJson());
      }
      return o;
    }
  }

  /** A replay file that cannot be used; each error names {@code FILE:LINE}. */
  public static final class ReplayException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final List<String> errors;

    ReplayException(List<String> errors) {
      super(String.join("\n", errors));
      this.errors = List.copyOf(errors);
    }

    /** Every error, one {@code FILE:LINE: message} line each; never empty. */
    public List<String> errors() {
      return errors;
    }
  }

  /** One usable line of the replay file. */
  private record Input(int line, ScanInput input, String excerpt) {}

  /**
   * Replays {@code replay} through {@code from} and {@code to}.
   *
   * @throws ReplayException naming every malformed line (bad JSON, neither text nor messages nor
   *     an audit event, bad direction or messages) before anything is scanned, or the file when it
   *     cannot be read or holds no input
   */
  public static Report run(Policy from, Policy to, Path replay, PolicyEngine engine) {
    Objects.requireNonNull(engine, "engine");
    List<String> errors = new ArrayList<>();
    List<Input> inputs = new ArrayList<>();
    int skipped = 0;
    try (BufferedReader in = Files.newBufferedReader(replay, StandardCharsets.UTF_8)) {
      String raw;
      int lineNo = 0;
      while ((raw = in.readLine()) != null) {
        lineNo++;
        if (raw.isBlank()) {
          continue;
        }
        String at = replay + ":" + lineNo;
        JsonNode node;
        try {
          node = Jsons.MAPPER.readTree(raw);
        } catch (JsonProcessingException e) {
          errors.add(at + ": not a JSON object: " + e.getOriginalMessage());
          continue;
        }
        if (node == null || !node.isObject()) {
          errors.add(at + ": not a JSON object");
          continue;
        }
        Direction direction = Direction.PROMPT;
        JsonNode d = node.get("direction");
        if (d != null && !d.isNull()) {
          try {
            direction = Direction.parse(d.asText());
          } catch (IllegalArgumentException e) {
            errors.add(at + ": direction: " + e.getMessage());
            continue;
          }
        }
        JsonNode text = node.get("text");
        JsonNode messages = node.get("messages");
        if (text != null && text.isTextual()) {
          inputs.add(new Input(lineNo, ScanInput.text(direction, text.textValue()), excerpt(text.textValue())));
        } else if (messages != null && !messages.isNull()) {
          try {
            ScanInput input = ScanInput.messages(direction, messages);
            String joined = String.join(" ", input.segments().stream().map(s -> s.text()).toList());
            inputs.add(new Input(lineNo, input, excerpt(joined)));
          } catch (IllegalArgumentException e) {
            errors.add(at + ": messages: " + e.getMessage());
          }
        } else if (text != null && !text.isNull()) {
          errors.add(at + ": text: expected a string, got " + text.getNodeType().name().toLowerCase());
        } else if (node.has("verdict") || node.has("request_id") || node.has("hash")) {
          // An audit event whose text was not kept: nothing to replay, but say how many.
          skipped++;
        } else {
          errors.add(at + ": neither text nor messages (replay lines are check requests, or audit events "
              + "written with audit.text: full)");
        }
      }
    } catch (NoSuchFileException e) {
      throw new ReplayException(List.of(replay + ": no such file"));
    } catch (IOException e) {
      throw new ReplayException(List.of(replay + ": cannot read: " + e.getMessage()));
    }
    if (!errors.isEmpty()) {
      throw new ReplayException(errors);
    }
    if (inputs.isEmpty() && skipped == 0) {
      throw new ReplayException(List.of(replay + ": no inputs (one JSON object per line with text or messages)"));
    }
    List<Change> changes = new ArrayList<>();
    for (Input i : inputs) {
      Decision a = Decision.of(i.input().scan(engine, from));
      Decision b = Decision.of(i.input().scan(engine, to));
      if (a.differsFrom(b)) {
        changes.add(new Change(i.line(), i.input().direction(), i.excerpt(), a, b));
      }
    }
    return new Report(from, to, inputs.size(), skipped, changes);
  }

  /** The start of {@code text} on one line, made {@link #printable}. */
  static String excerpt(String text) {
    String flat = text.replaceAll("\\s+", " ").strip();
    boolean cut = flat.codePointCount(0, flat.length()) > EXCERPT_CHARS;
    if (cut) {
      flat = flat.substring(0, flat.offsetByCodePoints(0, EXCERPT_CHARS));
    }
    return printable(flat) + (cut ? "…" : "");
  }

  /**
   * {@code text} with invisible and control characters written as escapes (U+200B as a backslash
   * followed by {@code u200b}). Printed raw, bidi controls would reorder the terminal line (the
   * very attack the invisible-text guard exists for) and zero-width ones would hide why a
   * decision changed or a case failed.
   */
  static String printable(String text) {
    StringBuilder out = new StringBuilder(text.length() + 8);
    text.codePoints().forEach(cp -> {
      int type = Character.getType(cp);
      if (type == Character.FORMAT || type == Character.CONTROL || type == Character.UNASSIGNED
          || type == Character.PRIVATE_USE) {
        out.append(cp > 0xFFFF ? String.format("\\U%08x", cp) : String.format("\\u%04x", cp));
      } else {
        out.appendCodePoint(cp);
      }
    });
    return out.toString();
  }
}

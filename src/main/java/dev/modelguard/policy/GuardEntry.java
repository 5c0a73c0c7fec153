package dev.modelguard.policy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelguard.config.InvalidKeyException;
import dev.modelguard.config.SourceLocation;
import dev.modelguard.config.YamlSupport;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One entry of a policy file's {@code prompt:} or {@code response:} list, before its guard is
 * created: the common keys parsed, every other key kept as the guard's own config, bound later by
 * {@link PolicyCompiler} to the factory's {@code configType()}.
 *
 * <p>Each entry remembers where it was written (file, path and the position of each of its keys),
 * because an entry inherited through {@code extends} is reported in its own file.
 *
 * @param name how the policy refers to this entry; defaults to {@code guard}; unique within a list,
 *     so one policy can use the same guard type twice under different names
 * @param guard the guard type ({@code pii}, {@code secrets}...)
 * @param threshold findings scoring below this are ignored; in [0,1], default 0.5
 * @param action what a finding at or above the threshold triggers; default block
 * @param mode {@code monitor} to decide and audit this guard's findings without acting on them
 *     (the way to roll out a new rule), or null to follow the policy
 * @param onError what this guard's failure means, or null to follow the policy's {@code on_error}
 * @param budgetMs this guard's time budget, or null to follow the policy's {@code budget_ms}
 * @param config the guard-specific keys, as written (a private copy)
 * @param path where the entry sits in its file, e.g. {@code prompt[2]}
 * @param locations positions of the entry ({@code ""}) and of its keys and their elements, by
 *     path relative to the entry ({@code entities}, {@code words[1]})
 */
@JsonDeserialize(using = GuardEntry.Reader.class)
public record GuardEntry(
    String name,
    String guard,
    double threshold,
    Action action,
    Mode mode,
    OnError onError,
    Long budgetMs,
    ObjectNode config,
    String path,
    Map<String, SourceLocation> locations) {

  /** The keys every entry understands; all others belong to the guard. */
  public static final List<String> COMMON_KEYS =
      List.of("guard", "name", "threshold", "action", "mode", "on_error", "budget_ms");

  /** Default {@code threshold}. */
  public static final double DEFAULT_THRESHOLD = 0.5;

  /** Deserialization attribute carrying the file name shown in locations. */
  static final String FILE_ATTRIBUTE = "modelguard.policy.file";

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]*");

  public GuardEntry {
    if (guard == null || guard.isBlank()) {
      throw new InvalidKeyException("guard", "is required (the guard type, e.g. guard: pii)");
    }
    name = name == null ? guard : name;
    if (!NAME.matcher(name).matches()) {
      throw new InvalidKeyException("name", "not a guard name: '" + name + "' (lowercase letters, digits, _ and -)");
    }
    if (!(threshold >= 0 && threshold <= 1)) {
      throw new InvalidKeyException("threshold", "must be in [0,1]");
    }
    action = action == null ? Action.BLOCK : action;
    if (budgetMs != null && budgetMs <= 0) {
      throw new InvalidKeyException("budget_ms", "must be > 0, was " + budgetMs);
    }
    config = config == null ? JsonNodeFactory.instance.objectNode() : config.deepCopy();
    path = path == null ? "" : path;
    locations = Map.copyOf(locations == null ? Map.of() : locations);
  }

  /** The guard-specific config, a fresh copy (the record's own is never exposed for mutation). */
  @Override
  public ObjectNode config() {
    return config.deepCopy();
  }

  /** Where the entry starts, or null when it was built in code. */
  public SourceLocation location() {
    return locations.get("");
  }

  /**
   * The position of a key relative to the entry ({@code entities}, {@code words[1]}), or of its
   * nearest written parent; null only when the entry was built in code.
   */
  public SourceLocation locate(String relativePath) {
    return YamlSupport.lookup(locations, relativePath);
  }

  /** Whether {@code key} was written in the file (rather than defaulted). */
  public boolean written(String key) {
    return locations.containsKey(key);
  }

  /**
   * Reads an entry from YAML, recording positions as it goes. The common keys are checked here
   * (so {@code threshold: 1.5} is reported at its key); the rest is left for the compiler.
   */
  static final class Reader extends StdDeserializer<GuardEntry> {
    private static final long serialVersionUID = 1L;

    Reader() {
      super(GuardEntry.class);
    }

    @Override
    public GuardEntry deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      Object fileAttr = ctxt.getAttribute(FILE_ATTRIBUTE);
      String file = fileAttr == null ? "<policy>" : fileAttr.toString();
      String path = YamlSupport.pathOf(p);
      if (p.currentToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("expected a mapping such as {guard: pii, action: redact}");
      }
      Map<String, SourceLocation> locations = new HashMap<>();
      ObjectNode node = (ObjectNode) YamlSupport.readLocated(p, file, "", locations);
      String guard = text(node.remove("guard"), "guard");
      String name = text(node.remove("name"), "name");
      double threshold = DEFAULT_THRESHOLD;
      JsonNode t = node.remove("threshold");
      if (t != null && !t.isNull()) {
        if (!t.isNumber()) {
          throw new InvalidKeyException("threshold", "expected a number in [0,1], got '" + t.asText() + "'");
        }
        threshold = t.doubleValue();
      }
      Action action = null;
      String a = text(node.remove("action"), "action");
      if (a != null) {
        try {
          action = Action.parse(a);
        } catch (IllegalArgumentException e) {
          throw new InvalidKeyException("action", e.getMessage());
        }
      }
      Mode mode = null;
      String m = text(node.remove("mode"), "mode");
      if (m != null) {
        try {
          mode = Mode.parse(m);
        } catch (IllegalArgumentException e) {
          throw new InvalidKeyException("mode", e.getMessage());
        }
      }
      OnError onError = null;
      String oe = text(node.remove("on_error"), "on_error");
      if (oe != null) {
        try {
          onError = OnError.parse(oe);
        } catch (IllegalArgumentException e) {
          throw new InvalidKeyException("on_error", e.getMessage());
        }
      }
      Long budgetMs = null;
      JsonNode b = node.remove("budget_ms");
      if (b != null && !b.isNull()) {
        if (!b.canConvertToLong() || !b.isIntegralNumber()) {
          throw new InvalidKeyException("budget_ms", "expected a whole number of milliseconds, got '" + b.asText() + "'");
        }
        budgetMs = b.longValue();
      }
      return new GuardEntry(name, guard, threshold, action, mode, onError, budgetMs, node, path, locations);
    }

    private static String text(JsonNode n, String key) {
      if (n == null || n.isNull()) {
        return null;
      }
      if (!n.isTextual()) {
        throw new InvalidKeyException(key, "expected a string, got '" + n + "'");
      }
      return n.asText();
    }
  }
}

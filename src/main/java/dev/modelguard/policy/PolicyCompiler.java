package dev.modelguard.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelguard.config.InvalidKeyException;
import dev.modelguard.config.SourceLocation;
import dev.modelguard.config.YamlSupport;
import dev.modelguard.guard.Guard;
import dev.modelguard.guard.GuardContext;
import dev.modelguard.guard.GuardFactory;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a parsed {@link PolicyFile} (with {@code extends} already resolved) into a runtime
 * {@link Policy}: resolves each entry's guard type, binds the entry's own keys to the factory's
 * config record (unknown keys fail, snake_case), creates the guards and applies the defaults.
 *
 * <p>Thread-safe; compiling blocks (factories may load files or models), so run it off the event
 * loop.
 */
public final class PolicyCompiler {
  /** Default {@code budget_ms}. */
  public static final long DEFAULT_BUDGET_MS = 100;

  /** Default {@code block_status}. */
  public static final int DEFAULT_BLOCK_STATUS = 400;

  private static final Pattern QUOTED = Pattern.compile("'([^']+)'");
  private static final Pattern KEY_PREFIX = Pattern.compile("(([a-z_][a-z0-9_]*)(?:\\[\\d+\\])*): (.+)", Pattern.DOTALL);

  private final GuardRegistry registry;

  /** A compiler that resolves guard types in {@code registry}. */
  public PolicyCompiler(GuardRegistry registry) {
    this.registry = registry;
  }

  /**
   * Compiles one policy.
   *
   * @param file the parsed policy; its {@code extends} must already be resolved (null)
   * @param version the policy version recorded in audit events, see {@link #version(List)}
   * @param baseDir directory that relative file names in guard configs are resolved against
   * @throws PolicyException listing every entry that fails (unknown guard type, bad or unknown
   *     guard config key, guard creation failure), each at its entry's position
   * @throws IllegalArgumentException when {@code file} still names a parent
   */
  public Policy compile(PolicyFile file, String version, Path baseDir) {
    if (file.extendsName() != null) {
      throw new IllegalArgumentException("policy '" + file.name() + "' extends '" + file.extendsName()
          + "': resolve extends with PolicyLoader (or PolicyFile.over) before compiling");
    }
    List<String> errors = new ArrayList<>();
    List<GuardRule> prompt = rules(file.prompt(), baseDir, errors);
    List<GuardRule> response = rules(file.response(), baseDir, errors);
    if (!errors.isEmpty()) {
      throw new PolicyException(errors);
    }
    return new Policy(file.name(), version,
        file.mode() != null ? file.mode() : Mode.ENFORCE,
        file.onError() != null ? file.onError() : OnError.BLOCK,
        file.budgetMs() != null ? file.budgetMs() : DEFAULT_BUDGET_MS,
        file.blockStatus() != null ? file.blockStatus() : DEFAULT_BLOCK_STATUS,
        file.audit() != null && file.audit().text() != null ? file.audit().text() : AuditText.REDACTED,
        prompt, response, file.streaming() == null ? Streaming.DEFAULT : file.streaming().resolve());
  }

  /**
   * {@code sha256:<hex>} over the given file contents in order (a policy's ancestors first, the
   * policy's own file last); for a policy without {@code extends}, the SHA-256 of its file.
   */
  public static String version(List<byte[]> sources) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      sources.forEach(md::update);
      return "sha256:" + HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  private List<GuardRule> rules(List<GuardEntry> entries, Path baseDir, List<String> errors) {
    List<GuardRule> rules = new ArrayList<>();
    if (entries == null) {
      return rules;
    }
    for (GuardEntry entry : entries) {
      try {
        rules.add(new GuardRule(create(entry, baseDir), entry.threshold(), entry.action(),
            entry.mode() == Mode.MONITOR, entry.onError(), entry.budgetMs()));
      } catch (EntryError e) {
        errors.add(e.getMessage());
      }
    }
    return rules;
  }

  private Guard create(GuardEntry entry, Path baseDir) {
    GuardFactory<?> factory;
    try {
      factory = registry.factory(entry.guard());
    } catch (IllegalArgumentException e) {
      throw fail(entry, "guard", e.getMessage());
    }
    return bindAndCreate(factory, entry, baseDir);
  }

  private <C extends Record> Guard bindAndCreate(GuardFactory<C> factory, GuardEntry entry, Path baseDir) {
    String file = entry.location() == null ? "<policy>" : entry.location().file();
    YamlSupport.UnknownKey unknown = YamlSupport.findUnknownKey(entry.config(), factory.configType(), "");
    if (unknown != null) {
      List<String> valid = new ArrayList<>(GuardEntry.COMMON_KEYS);
      valid.addAll(unknown.valid());
      throw fail(entry, unknown.path(), "unknown key (valid: " + String.join(", ", valid) + ")");
    }
    C config;
    try {
      config = YamlSupport.mapper().treeToValue(entry.config(), factory.configType());
    } catch (JsonProcessingException e) {
      IllegalArgumentException plain = plainIllegalArgument(e);
      boolean atRoot = !(e instanceof com.fasterxml.jackson.databind.JsonMappingException m) || m.getPath().isEmpty();
      if (plain != null && !(plain instanceof InvalidKeyException) && atRoot) {
        throw explain(entry, plain, factory.configType());
      }
      throw new EntryError(YamlSupport.describe(e, file, entry.locations(), entry.path(), GuardEntry.COMMON_KEYS));
    } catch (IllegalArgumentException e) {
      throw explain(entry, e, factory.configType());
    }
    try {
      Guard guard = factory.create(config, new GuardContext(entry.name(), baseDir));
      if (guard == null) {
        throw fail(entry, "", "guard '" + entry.guard() + "' could not be created (its factory returned null)");
      }
      return guard;
    } catch (EntryError e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw explain(entry, e, factory.configType());
    } catch (Exception e) {
      throw fail(entry, "", "cannot create guard '" + entry.guard() + "': " + e.getMessage());
    }
  }

  /**
   * Finds the key an invariant failure is about: named by an {@link InvalidKeyException}, by a
   * {@code key: } prefix, or, failing both, the one key whose value holds the quoted text of the
   * message ({@code unknown entity 'FOO'} is about the key listing FOO).
   */
  private static EntryError explain(GuardEntry entry, IllegalArgumentException e, Class<?> configType) {
    if (e instanceof InvalidKeyException k) {
      return fail(entry, k.key(), k.problem());
    }
    String message = String.valueOf(e.getMessage());
    List<String> keys = YamlSupport.validKeys(configType, List.of());
    Matcher prefix = KEY_PREFIX.matcher(message);
    if (prefix.matches() && keys.contains(prefix.group(2))) {
      return fail(entry, prefix.group(1), prefix.group(3));
    }
    ObjectNode config = entry.config();
    String found = null;
    Matcher quoted = QUOTED.matcher(message);
    while (quoted.find()) {
      for (Map.Entry<String, JsonNode> field : config.properties()) {
        if (holds(field.getValue(), quoted.group(1))) {
          if (found != null && !found.equals(field.getKey())) {
            return fail(entry, "", message);
          }
          found = field.getKey();
        }
      }
    }
    return fail(entry, found == null ? "" : found, message);
  }

  private static boolean holds(JsonNode node, String text) {
    if (node.isValueNode()) {
      return node.asText().equals(text);
    }
    for (JsonNode child : node) {
      if (holds(child, text)) {
        return true;
      }
    }
    return false;
  }

  private static IllegalArgumentException plainIllegalArgument(Throwable t) {
    for (Throwable c = t.getCause(); c != null; c = c.getCause()) {
      if (c instanceof IllegalArgumentException iae) {
        return iae;
      }
    }
    return null;
  }

  private static EntryError fail(GuardEntry entry, String key, String message) {
    SourceLocation loc = entry.locate(key);
    if (loc == null) {
      loc = new SourceLocation("<policy>", 1, 1);
    }
    return new EntryError(YamlSupport.format(loc, YamlSupport.join(entry.path(), key), message));
  }

  /** One entry's formatted error, carried to the loop that collects them. */
  private static final class EntryError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    EntryError(String line) {
      super(line, null, false, false);
    }
  }
}

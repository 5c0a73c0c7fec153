package dev.modelguard.guard.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.modelguard.guard.Guard;
import dev.modelguard.guard.GuardContext;
import dev.modelguard.guard.GuardFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Every guard folder under the configured {@code guard_models} directories, by name, so a policy can
 * say {@code guard: NAME}. Folders are found at construction; each is loaded once, on first use
 * (or all at once with {@link #loadAll()} at startup, so a broken folder fails readiness), and the
 * same {@link ModelGuard} is shared by every policy that names it.
 *
 * <p>The policy compiler registers {@link #factories()} next to the {@code ServiceLoader} ones:
 * each factory's {@link GuardFactory#type()} is a folder name and its config is {@link Config}.
 *
 * <p>Threading: thread-safe. Failure: the constructor throws {@link IllegalArgumentException}
 * naming both folders when two directories hold a guard of the same name, and
 * {@link UncheckedIOException} for an unreadable directory; loading throws
 * {@link ModelLoadException} naming the file at fault.
 */
public final class ModelGuardRegistry {

  /**
   * Guard-specific policy keys of a model guard entry.
   *
   * @param maxChars policy key {@code max_chars}: scan at most this many characters (lowers the
   *     folder's {@code max_chars}), or null
   * @param judge policy key {@code judge}: an LLM asked about scores in an unsure band
   *     ({@link LlmJudge}), or null
   */
  public record Config(@JsonProperty("max_chars") Integer maxChars, @JsonProperty("judge") LlmJudge.Config judge) {
    public Config {
      if (maxChars != null && maxChars < 16) {
        throw new IllegalArgumentException("max_chars: must be >= 16, was " + maxChars);
      }
    }
  }

  private final Map<String, Path> folders;
  private final ConcurrentHashMap<String, ModelGuard> loaded = new ConcurrentHashMap<>();

  /** Indexes the subfolders holding a {@code guard.yaml} of each directory in {@code dirs}. */
  public ModelGuardRegistry(List<Path> dirs) {
    Map<String, Path> found = new TreeMap<>();
    for (Path dir : dirs) {
      if (!Files.isDirectory(dir)) {
        throw new IllegalArgumentException("guard_models: " + dir + " is not a directory");
      }
      try (Stream<Path> children = Files.list(dir)) {
        for (Path child : children.sorted().toList()) {
          if (Files.isRegularFile(child.resolve(ModelGuards.MANIFEST))) {
            String name = child.getFileName().toString();
            Path previous = found.putIfAbsent(name, child);
            if (previous != null) {
              throw new IllegalArgumentException("guard_models: guard '" + name + "' is defined twice: " + previous
                  + " and " + child);
            }
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("guard_models: cannot list " + dir, e);
      }
    }
    this.folders = Map.copyOf(found);
  }

  /** The guard names available, sorted. */
  public List<String> names() {
    return folders.keySet().stream().sorted().toList();
  }

  /** The folder of guard {@code name}, or null. */
  public Path folder(String name) {
    return folders.get(name);
  }

  /**
   * The shared guard called {@code name}, loading it on first use.
   *
   * @throws IllegalArgumentException listing the known names when there is no such folder
   */
  public ModelGuard guard(String name) {
    Path folder = folders.get(name);
    if (folder == null) {
      throw new IllegalArgumentException("unknown model guard '" + name + "' (known: " + names() + ")");
    }
    return loaded.computeIfAbsent(name, n -> warm(ModelGuards.load(folder)));
  }

  /**
   * Runs one inference right after loading, so the first real request does not pay for ONNX
   * Runtime's lazy initialisation and the JIT (hundreds of milliseconds, far over a policy's
   * {@code budget_ms}).
   */
  private static ModelGuard warm(ModelGuard guard) {
    try {
      guard.inspect(dev.modelguard.guard.Segment.of(dev.modelguard.guard.Direction.PROMPT, "Warm-up text. 预热文本。"));
    } catch (Exception e) {
      throw new ModelLoadException("guard '" + guard.name() + "' failed its first inference: " + e.getMessage(), e);
    }
    return guard;
  }

  /** Loads every folder now (startup / readiness). */
  public void loadAll() {
    names().forEach(this::guard);
  }

  /** The guard for a policy entry with guard-specific keys {@code config}. */
  public Guard create(String name, Config config) {
    Guard guard = windowed(name, config);
    return config != null && config.judge() != null ? new LlmJudge(config.judge()).around(guard) : guard;
  }

  private ModelGuard windowed(String name, Config config) {
    ModelGuard guard = guard(name);
    if (config == null || config.maxChars() == null
        || config.maxChars() >= guard.manifest().window().maxChars()) {
      return guard;
    }
    GuardManifest.Window w = guard.manifest().window();
    int chars = Math.min(w.chars(), config.maxChars());
    return guard.withWindow(new GuardManifest.Window(chars, Math.min(w.overlap(), chars / 2), config.maxChars()));
  }

  /** One {@link GuardFactory} per folder, typed by the folder name. */
  public List<GuardFactory<Config>> factories() {
    List<GuardFactory<Config>> list = new ArrayList<>();
    for (String name : names()) {
      list.add(new GuardFactory<>() {
        @Override
        public String type() {
          return name;
        }

        @Override
        public Class<Config> configType() {
          return Config.class;
        }

        @Override
        public Guard create(Config config, GuardContext context) {
          return ModelGuardRegistry.this.create(name, config);
        }
      });
    }
    return list;
  }
}

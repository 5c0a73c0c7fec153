package dev.modelguard.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Reads {@code gateway.yaml}: interpolates {@code ${VAR}} / {@code ${VAR:-default}} from the given
 * environment in the raw text (so positions stay right), binds it strictly (unknown keys fail),
 * checks invariants and cross-references, and resolves relative paths against the file's
 * directory.
 *
 * <p>Stateless and thread-safe. Reading the file blocks: call it off the event loop.
 */
public final class GatewayConfigLoader {
  private GatewayConfigLoader() {}

  /**
   * Loads and validates one gateway config file.
   *
   * @param file the config file; its name is shown in errors as given
   * @param env the variables {@code ${VAR}} may name (normally {@code System.getenv()})
   * @return the configuration with every relative path made absolute
   * @throws ConfigException when the file cannot be read or is invalid; every line reads
   *     {@code FILE:LINE:COL: json.path: message}. Unset variables are all reported together;
   *     binding errors stop at the first.
   */
  public static GatewayConfig load(Path file, Map<String, String> env) {
    String display = file.toString();
    String raw;
    try {
      raw = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ConfigException(display + ": no such file");
    } catch (IOException e) {
      throw new ConfigException(display + ": cannot read: " + e.getMessage());
    }
    String text = EnvInterpolator.interpolate(raw, env, display);
    Map<String, SourceLocation> locations = YamlSupport.locate(text, display);
    GatewayConfig config;
    try {
      config = YamlSupport.mapper().readerFor(GatewayConfig.class).readValue(text);
    } catch (JsonProcessingException e) {
      String unknown = YamlSupport.unknownKeyError(text, GatewayConfig.class, display, locations);
      throw new ConfigException(unknown != null ? unknown : YamlSupport.describe(e, display, locations, "", List.of()));
    } catch (IllegalArgumentException e) {
      // An invariant of the top-level record that Jackson did not wrap.
      throw new ConfigException(display + ":1:1: " + e.getMessage());
    }
    if (config == null) {
      throw new ConfigException(display + ":1:1: the file is empty");
    }
    Path dir = file.toAbsolutePath().getParent();
    return config.resolveAgainst(dir);
  }
}

package dev.modelguard.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.modelguard.config.SourceLocation;
import dev.modelguard.config.YamlSupport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads policy files: parses them strictly, resolves {@code extends} among the files of one
 * directory, and compiles them with {@link PolicyCompiler}.
 *
 * <p>{@code extends}: the parent's {@code prompt}/{@code response} entries are inherited in order;
 * a child entry with the same {@code name} replaces the parent's in place, new ones are appended;
 * scalar keys set in the child win. Unknown parents and cycles are errors. The version of a policy
 * with ancestors hashes the ancestors' files first and its own last.
 *
 * <p>Stateless and thread-safe; reads files and creates guards, so call it off the event loop.
 * Errors are collected across all files and reported together.
 */
public final class PolicyLoader {
  private PolicyLoader() {}

  /** One parsed file: what it says, its bytes (for the version) and where each key is. */
  private record Source(Path path, String display, byte[] bytes, PolicyFile file, Map<String, SourceLocation> locations) {
    SourceLocation at(String key) {
      return YamlSupport.lookup(locations, key);
    }
  }

  /**
   * Every {@code *.yaml} file directly in {@code dir} (not subdirectories such as {@code tests/}),
   * compiled, keyed by its {@code name}.
   *
   * @throws PolicyException with every error of every file: unreadable or invalid files, two files
   *     with the same {@code name} (naming both), unknown parents, cycles, guard errors; also when
   *     the directory does not exist or holds no {@code *.yaml} file
   */
  public static PolicySet loadDirectory(Path dir, GuardRegistry registry) {
    if (!Files.isDirectory(dir)) {
      throw new PolicyException(List.of(dir + ": no such policy directory"));
    }
    List<Path> files;
    try {
      files = yamlFiles(dir);
    } catch (IOException e) {
      throw new PolicyException(List.of(dir + ": cannot list policy files: " + e.getMessage()));
    }
    if (files.isEmpty()) {
      throw new PolicyException(List.of(dir + ": no policy files (*.yaml) in this directory"));
    }
    List<String> errors = new ArrayList<>();
    List<Source> sources = new ArrayList<>();
    Map<String, List<String>> failed = new TreeMap<>();
    for (Path f : files) {
      List<String> own = new ArrayList<>();
      Source s = parse(f, own);
      if (s != null) {
        sources.add(s);
      } else {
        failed.put(stem(f), own);
        errors.addAll(own);
      }
    }
    Map<String, Source> byName = new TreeMap<>();
    for (Source s : sources) {
      Source before = byName.putIfAbsent(s.file().name(), s);
      if (before != null) {
        errors.add(s.at("name") + ": name: duplicate policy name '" + s.file().name() + "' (also in "
            + before.display() + ")");
      }
    }
    PolicyCompiler compiler = new PolicyCompiler(registry);
    List<Policy> policies = new ArrayList<>();
    for (Source s : byName.values()) {
      Policy p = compileResolved(s, byName, compiler, errors, failed);
      if (p != null) {
        policies.add(p);
      }
    }
    if (!errors.isEmpty()) {
      throw new PolicyException(errors);
    }
    return PolicySet.of(policies);
  }

  /**
   * One policy file, compiled; its {@code extends} is resolved against the {@code *.yaml} files
   * beside it (which are otherwise not checked).
   *
   * @throws PolicyException with every error of the file (and of the ancestors it uses); when the
   *     file does not exist the single error is {@code FILE: no such file}
   */
  public static Policy loadFile(Path file, GuardRegistry registry) {
    List<String> errors = new ArrayList<>();
    Source s = parse(file, errors);
    if (s == null) {
      throw new PolicyException(errors);
    }
    Map<String, Source> siblings = new TreeMap<>();
    Map<String, List<String>> failed = new TreeMap<>();
    if (s.file().extendsName() != null) {
      List<Path> beside;
      try {
        beside = yamlFiles(file.getParent() == null ? Path.of(".") : file.getParent());
      } catch (IOException e) {
        throw new PolicyException(List.of(file + ": cannot list the files beside it to resolve extends: " + e.getMessage()));
      }
      for (Path f : beside) {
        if (f.toAbsolutePath().normalize().equals(file.toAbsolutePath().normalize())) {
          continue;
        }
        List<String> own = new ArrayList<>();
        Source sib = parse(f, own);
        if (sib == null) {
          failed.put(stem(f), own);
        } else {
          siblings.putIfAbsent(sib.file().name(), sib);
        }
      }
    }
    siblings.put(s.file().name(), s);
    Policy p = compileResolved(s, siblings, new PolicyCompiler(registry), errors, failed);
    if (!errors.isEmpty() || p == null) {
      throw new PolicyException(errors);
    }
    return p;
  }

  /**
   * The errors of one policy file, as {@link #loadFile} finds them; empty when the file is valid.
   */
  public static List<String> validate(Path file, GuardRegistry registry) {
    try {
      loadFile(file, registry);
      return List.of();
    } catch (PolicyException e) {
      return e.errors();
    }
  }

  private static Policy compileResolved(Source s, Map<String, Source> byName, PolicyCompiler compiler,
      List<String> errors, Map<String, List<String>> failed) {
    List<Source> chain = chain(s, byName, errors, failed);
    if (chain == null) {
      return null;
    }
    PolicyFile merged = chain.get(0).file();
    List<byte[]> bytes = new ArrayList<>();
    bytes.add(chain.get(0).bytes());
    for (int i = 1; i < chain.size(); i++) {
      merged = chain.get(i).file().over(merged);
      bytes.add(chain.get(i).bytes());
    }
    try {
      return compiler.compile(merged, PolicyCompiler.version(bytes), s.path().toAbsolutePath().getParent());
    } catch (PolicyException e) {
      for (String line : e.errors()) {
        if (!errors.contains(line)) {
          errors.add(line);
        }
      }
      return null;
    }
  }

  /**
   * {@code s} and its ancestors, eldest first; null (with an error added) on an unknown parent or
   * a cycle. A parent that is unknown because its file {@code NAME.yaml} is itself invalid is
   * reported with that file's errors, which say more than "unknown".
   */
  private static List<Source> chain(Source s, Map<String, Source> byName, List<String> errors,
      Map<String, List<String>> failed) {
    LinkedHashSet<String> seen = new LinkedHashSet<>();
    List<Source> chain = new ArrayList<>();
    Source cur = s;
    seen.add(cur.file().name());
    chain.add(0, cur);
    while (cur.file().extendsName() != null) {
      String parent = cur.file().extendsName();
      if (seen.contains(parent)) {
        errors.add(s.at("extends") + ": extends: cycle " + String.join(" -> ", seen) + " -> " + parent);
        return null;
      }
      Source next = byName.get(parent);
      if (next == null) {
        if (failed.containsKey(parent)) {
          failed.get(parent).stream().filter(line -> !errors.contains(line)).forEach(errors::add);
          return null;
        }
        List<String> valid = byName.keySet().stream().filter(n -> !n.equals(s.file().name())).toList();
        String note = failed.isEmpty() ? "" : "; invalid files beside it: "
            + String.join(", ", failed.keySet().stream().map(n -> n + ".yaml").toList());
        errors.add(cur.at("extends") + ": extends: unknown policy '" + parent + "' (valid: "
            + (valid.isEmpty() ? "none" : String.join(", ", valid)) + note + ")");
        return null;
      }
      seen.add(parent);
      chain.add(0, next);
      cur = next;
    }
    return chain;
  }

  private static Source parse(Path file, List<String> errors) {
    String display = file.toString();
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      errors.add(display + ": no such file");
      return null;
    } catch (IOException e) {
      errors.add(display + ": cannot read: " + e.getMessage());
      return null;
    }
    String text = new String(bytes, StandardCharsets.UTF_8);
    Map<String, SourceLocation> locations = YamlSupport.locate(text, display);
    try {
      JsonNode tree = YamlSupport.mapper().readTree(text);
      if (tree == null || tree.isMissingNode() || tree.isNull()) {
        errors.add(display + ":1:1: the file is empty (a policy needs at least version: 1 and name:)");
        return null;
      }
      PolicyFile pf = YamlSupport.mapper().readerFor(PolicyFile.class)
          .withAttribute(GuardEntry.FILE_ATTRIBUTE, display)
          .readValue(text);
      return new Source(file, display, bytes, pf, locations);
    } catch (JsonProcessingException e) {
      String unknown = YamlSupport.unknownKeyError(text, PolicyFile.class, display, locations);
      errors.add(unknown != null ? unknown : YamlSupport.describe(e, display, locations, "", List.of()));
      return null;
    }
  }

  private static String stem(Path file) {
    String n = file.getFileName().toString();
    return n.substring(0, n.length() - ".yaml".length());
  }

  private static List<Path> yamlFiles(Path dir) throws IOException {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.yaml")) {
      for (Path p : ds) {
        if (Files.isRegularFile(p)) {
          files.add(p);
        }
      }
    }
    files.sort(null);
    return files;
  }
}

package dev.modelguard.audit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Names and order of the files of one JSONL audit log. The active file ({@code audit.jsonl}) is
 * rotated into {@code audit-YYYYMMDD-HHMMSS.jsonl} beside it (UTC time of the rotation; a
 * {@code -N} suffix when that name is taken), and the chain runs through the rotated files in
 * time order and then into the active file.
 *
 * <p>Stateless and thread-safe. Methods that list directories block: call them off the event loop.
 */
public final class AuditFiles {
  private static final Pattern ROTATED = Pattern.compile("(.+)-(\\d{8})-(\\d{6})(?:-(\\d+))?\\.jsonl");
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("uuuuMMdd-HHmmss");
  private static final String SUFFIX = ".jsonl";

  private AuditFiles() {}

  /**
   * The files of the log that {@code fileOrDir} names, oldest first.
   *
   * <ul>
   *   <li>an active file: its rotated siblings, then itself (it need not exist yet);
   *   <li>a rotated file: that file alone;
   *   <li>a directory: the one log in it (its active file, or its rotated files when only those
   *       are left).
   * </ul>
   *
   * @throws NoSuchFileException when nothing of that log exists
   * @throws IOException when a directory holds several logs (the message names them) or cannot be listed
   */
  public static List<Path> expand(Path fileOrDir) throws IOException {
    if (Files.isDirectory(fileOrDir)) {
      TreeSet<String> stems = new TreeSet<>();
      try (Stream<Path> entries = Files.list(fileOrDir)) {
        for (Path p : entries.filter(Files::isRegularFile).toList()) {
          String name = p.getFileName().toString();
          Matcher m = ROTATED.matcher(name);
          if (m.matches()) {
            stems.add(m.group(1));
          } else if (name.endsWith(SUFFIX)) {
            stems.add(name.substring(0, name.length() - SUFFIX.length()));
          }
        }
      }
      if (stems.isEmpty()) {
        throw new NoSuchFileException(fileOrDir.toString(), null, "no *.jsonl audit log in this directory");
      }
      if (stems.size() > 1) {
        throw new IOException(fileOrDir + ": holds several audit logs (" + String.join(", ", stems)
            + "); name the active file instead");
      }
      Path active = fileOrDir.resolve(stems.first() + SUFFIX);
      List<Path> files = new ArrayList<>(rotatedSiblings(active));
      if (Files.exists(active)) {
        files.add(active);
      }
      return files;
    }
    if (ROTATED.matcher(fileOrDir.getFileName().toString()).matches()) {
      if (!Files.exists(fileOrDir)) {
        throw new NoSuchFileException(fileOrDir.toString());
      }
      return List.of(fileOrDir);
    }
    List<Path> files = new ArrayList<>(rotatedSiblings(fileOrDir));
    if (Files.exists(fileOrDir)) {
      files.add(fileOrDir);
    }
    if (files.isEmpty()) {
      throw new NoSuchFileException(fileOrDir.toString());
    }
    return files;
  }

  /**
   * The files named on a command line, in order: one argument is {@link #expand}ed (so a log
   * is read across its rotations); several are taken as given, each directory expanded.
   */
  public static List<Path> expand(List<Path> args) throws IOException {
    if (args.size() == 1) {
      return expand(args.get(0));
    }
    List<Path> files = new ArrayList<>();
    for (Path p : args) {
      if (Files.isDirectory(p)) {
        files.addAll(expand(p));
      } else if (!Files.exists(p)) {
        throw new NoSuchFileException(p.toString());
      } else {
        files.add(p);
      }
    }
    return files;
  }

  /** The rotated files of the active file {@code active}, oldest first; empty when there are none. */
  public static List<Path> rotatedSiblings(Path active) throws IOException {
    Path dir = active.toAbsolutePath().getParent();
    String stem = stem(active);
    if (dir == null || !Files.isDirectory(dir)) {
      return List.of();
    }
    List<Rotated> found = new ArrayList<>();
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path p : entries.toList()) {
        Matcher m = ROTATED.matcher(p.getFileName().toString());
        if (m.matches() && m.group(1).equals(stem) && Files.isRegularFile(p)) {
          found.add(new Rotated(active.resolveSibling(p.getFileName()), parse(m), index(m)));
        }
      }
    }
    found.sort(Comparator.comparing(Rotated::at).thenComparingInt(Rotated::index));
    return found.stream().map(Rotated::path).toList();
  }

  /** A free name for rotating {@code active} at {@code at}: {@code stem-YYYYMMDD-HHMMSS[-N].jsonl}. */
  public static Path rotatedName(Path active, Instant at) {
    String base = stem(active) + "-" + STAMP.format(LocalDateTime.ofInstant(at, ZoneOffset.UTC));
    Path candidate = active.resolveSibling(base + SUFFIX);
    for (int n = 1; Files.exists(candidate); n++) {
      candidate = active.resolveSibling(base + "-" + n + SUFFIX);
    }
    return candidate;
  }

  /** When {@code file} was rotated, read from its name; empty when it is not a rotated file. */
  public static Optional<Instant> rotatedAt(Path file) {
    Matcher m = ROTATED.matcher(file.getFileName().toString());
    return m.matches() ? Optional.of(parse(m)) : Optional.empty();
  }

  /** True when {@code file}'s name is that of a rotated file. */
  public static boolean isRotated(Path file) {
    return ROTATED.matcher(file.getFileName().toString()).matches();
  }

  private static String stem(Path active) {
    String name = active.getFileName().toString();
    return name.endsWith(SUFFIX) ? name.substring(0, name.length() - SUFFIX.length()) : name;
  }

  private static Instant parse(Matcher m) {
    return LocalDateTime.parse(m.group(2) + "-" + m.group(3), STAMP).toInstant(ZoneOffset.UTC);
  }

  private static int index(Matcher m) {
    return m.group(4) == null ? 0 : Integer.parseInt(m.group(4));
  }

  private record Rotated(Path path, Instant at, int index) {}
}

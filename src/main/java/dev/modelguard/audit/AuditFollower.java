package dev.modelguard.audit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Follows the active file of a JSONL audit log ({@code audit tail -f}): each {@link #poll} returns
 * the events completed since the last one. Survives rotation: when the path names a new file, the
 * old one (still open, now renamed) is read to its end first, then the new one from its start, so
 * no event is skipped or shown twice. A partial last line is kept until its newline arrives.
 *
 * <p>Not thread-safe: one thread polls. Polling blocks on file I/O. Call {@link #close} to release
 * the open file.
 */
public final class AuditFollower implements AutoCloseable {
  /** Bytes one poll reads from the current file before returning what it has. */
  static final long MAX_BYTES_PER_POLL = 4L * 1024 * 1024;

  private final Path path;
  private FileChannel channel;
  private Object fileKey;
  private long position;
  private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

  private AuditFollower(Path path) {
    this.path = Objects.requireNonNull(path, "path");
  }

  /** Follows {@code activeFile} from its start (it may not exist yet). */
  public static AuditFollower fromStart(Path activeFile) throws IOException {
    AuditFollower f = new AuditFollower(activeFile);
    f.open();
    return f;
  }

  /** Follows {@code activeFile} from its current end (it may not exist yet). */
  public static AuditFollower fromEnd(Path activeFile) throws IOException {
    AuditFollower f = new AuditFollower(activeFile);
    if (f.open()) {
      f.position = f.channel.size();
    }
    return f;
  }

  /**
   * The events written since the previous poll, oldest first; lines that are not events are
   * skipped.
   *
   * @throws IOException when the file cannot be read
   */
  public List<AuditEvent> poll() throws IOException {
    List<AuditEvent> events = new ArrayList<>();
    for (byte[] line : pollLines()) {
      try {
        events.add(HashChain.MAPPER.readValue(line, AuditEvent.class));
      } catch (IOException | RuntimeException notAnEvent) {
        // Integrity is `audit verify`'s job; a follower shows what it can read.
      }
    }
    return events;
  }

  /**
   * The complete lines (without their newline) written since the previous poll, oldest first, as
   * the exact bytes on disk.
   *
   * @throws IOException when the file cannot be read
   */
  public List<byte[]> pollLines() throws IOException {
    List<byte[]> lines = new ArrayList<>();
    if (channel == null && !open()) {
      return lines;
    }
    // Bounded per poll, so catching up on a large file does not hold all of it in memory; the
    // rotation check waits until this file has been read to its end.
    if (!readAtMost(lines, MAX_BYTES_PER_POLL)) {
      return lines;
    }
    Object current = currentKey();
    if (current != null && !current.equals(fileKey)) {
      advance(lines);
    }
    return lines;
  }

  /**
   * Our file was rotated away. It is complete once a new active file exists, so read it to its
   * end; then every file rotated after it (several rotations may have happened since the last
   * poll); then the new active file. The active file is opened before listing the rotated ones,
   * so a rotation meanwhile shows up in the list instead of being skipped.
   */
  private void advance(List<byte[]> lines) throws IOException {
    readToEnd(lines);
    channel.close();
    partial.reset();
    channel = null;
    Object lastKey = fileKey;
    boolean opened = open();
    Object activeKey = opened ? fileKey : null;
    boolean after = false;
    for (Path rotated : AuditFiles.rotatedSiblings(path)) {
      Object key = Files.readAttributes(rotated, BasicFileAttributes.class).fileKey();
      if (after) {
        if (key.equals(activeKey)) {
          break;
        }
        readWhole(rotated, lines);
      } else if (key.equals(lastKey)) {
        after = true;
      }
    }
    if (opened) {
      readToEnd(lines);
    }
  }

  private void readWhole(Path file, List<byte[]> lines) throws IOException {
    FileChannel keep = channel;
    long keepPosition = position;
    try (FileChannel other = FileChannel.open(file, StandardOpenOption.READ)) {
      channel = other;
      position = 0;
      readToEnd(lines);
    } finally {
      channel = keep;
      position = keepPosition;
      // A rotated file ends with a newline; anything after it is a torn write, not an event.
      partial.reset();
    }
  }

  private boolean open() throws IOException {
    try {
      channel = FileChannel.open(path, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      channel = null;
      return false;
    }
    fileKey = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
    position = 0;
    return true;
  }

  private Object currentKey() throws IOException {
    try {
      return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  private void readToEnd(List<byte[]> lines) throws IOException {
    readAtMost(lines, Long.MAX_VALUE);
  }

  /** Reads up to about {@code budget} bytes; true when the end of the file was reached. */
  private boolean readAtMost(List<byte[]> lines, long budget) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    long read = 0;
    while (true) {
      if (read >= budget) {
        return false;
      }
      buf.clear();
      int n = channel.read(buf, position);
      if (n <= 0) {
        return true;
      }
      read += n;
      position += n;
      byte[] a = buf.array();
      int start = 0;
      for (int i = 0; i < n; i++) {
        if (a[i] == '\n') {
          partial.write(a, start, i - start);
          lines.add(partial.toByteArray());
          partial.reset();
          start = i + 1;
        }
      }
      partial.write(a, start, n - start);
    }
  }

  @Override
  public void close() throws IOException {
    if (channel != null) {
      channel.close();
    }
  }
}

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
  private final Path path;
  private FileChannel channel;
  private Object fileKey;
  private long position;
  private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

  private AuditFollower(Path path) {
    this.path = Objects.requireNonNull(path, "path");
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
    if (channel == null && !open()) {
      return events;
    }
    readToEnd(events);
    Object current = currentKey();
    if (current != null && !current.equals(fileKey)) {
      // Rotated: the old file is complete now that a new one exists; start the new one.
      readToEnd(events);
      channel.close();
      partial.reset();
      channel = null;
      if (open()) {
        readToEnd(events);
      }
    }
    return events;
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

  private void readToEnd(List<AuditEvent> events) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    while (true) {
      buf.clear();
      int n = channel.read(buf, position);
      if (n <= 0) {
        return;
      }
      position += n;
      byte[] a = buf.array();
      int start = 0;
      for (int i = 0; i < n; i++) {
        if (a[i] == '\n') {
          partial.write(a, start, i - start);
          try {
            events.add(HashChain.MAPPER.readValue(partial.toByteArray(), AuditEvent.class));
          } catch (IOException | RuntimeException notAnEvent) {
            // Integrity is `audit verify`'s job; a follower shows what it can read.
          }
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

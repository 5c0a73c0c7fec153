package dev.modelguard.audit;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies a JSONL audit log into PostgreSQL, line by line in order, and keeps following it. The
 * JSONL file is the durable buffer: while the database is unreachable, events keep being written
 * there (they "spill" to it) and the replicator retries the same batch every retry interval; once
 * the database answers, it catches up from where the last committed batch ended. Nothing written
 * to the file is lost, and nothing is inserted twice (the store ignores lines it already has).
 *
 * <p>On start it asks the store for this instance's cursor (the last copied line's hash) and
 * skips the log up to that line, reading the rotated files and then following the active file
 * across rotations. If the cursor line is no longer in the log (retention deleted it), it warns
 * and copies every retained line, which the store de-duplicates.
 *
 * <p>Threading: one daemon thread of its own does the file reads and waits for the database; the
 * event loop is never involved. {@link #close()} stops it and waits for it; lines not yet
 * committed are copied at the next start.
 */
public final class PostgresReplicator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresReplicator.class);
  private static final long POLL_MILLIS = 100;

  private final PostgresAuditStore store;
  private final Path activeFile;
  private final int batchSize;
  private final long retryMillis;
  private final Thread thread;
  private final AtomicLong copied = new AtomicLong();
  private volatile boolean closed;
  private volatile boolean caughtUp;
  private volatile String lastError;
  private long lastWarn;

  /**
   * Starts replicating {@code activeFile} (and its rotated files) into {@code store}.
   *
   * @param batchSize lines per insert transaction
   * @param retryInterval wait between attempts while the database fails
   */
  public PostgresReplicator(PostgresAuditStore store, Path activeFile, int batchSize, Duration retryInterval) {
    this.store = Objects.requireNonNull(store, "store");
    this.activeFile = Objects.requireNonNull(activeFile, "activeFile");
    this.batchSize = batchSize;
    this.retryMillis = retryInterval.toMillis();
    this.thread = new Thread(this::run, "modelguard-audit-postgres");
    thread.setDaemon(true);
    thread.start();
  }

  /** Lines committed to the database since start. */
  public long copiedLines() {
    return copied.get();
  }

  /** True once every line written so far has been committed (until more are written). */
  public boolean caughtUp() {
    return caughtUp;
  }

  /** The last database error, or null after a success. */
  public String lastError() {
    return lastError;
  }

  private void run() {
    String cursor = retry("create the schema and read the cursor", () -> {
      PostgresAuditStore.await(store.createSchema());
      return PostgresAuditStore.await(store.cursor());
    });
    while (!closed) {
      try {
        if (!replicate(cursor)) {
          LOG.warn("audit replication: the last copied line ({}) is no longer in {} (rotated away?);"
              + " copying every retained line, duplicates are ignored", cursor, activeFile);
          cursor = null;
        }
      } catch (IOException e) {
        if (closed) {
          return;
        }
        LOG.error("audit replication: cannot read {}; retrying", activeFile, e);
        sleep(retryMillis);
      }
    }
  }

  /**
   * Copies everything after {@code cursor} and then follows the log until closed.
   *
   * @return false when the cursor line was not found (the caller then copies from the start)
   */
  private boolean replicate(String cursor) throws IOException {
    List<PostgresAuditStore.Line> batch = new ArrayList<>(batchSize);
    boolean[] found = {cursor == null};
    // Open the active file before listing rotated files: a rotation in between then shows up as
    // a rotated file we list, or as the follower's own rotation, never as a gap.
    try (AuditFollower follower = AuditFollower.fromStart(activeFile)) {
      for (Path rotated : AuditFiles.rotatedSiblings(activeFile)) {
        readLines(rotated, line -> take(line, cursor, found, batch));
      }
      while (!closed) {
        List<byte[]> lines = follower.pollLines();
        for (byte[] line : lines) {
          take(line, cursor, found, batch);
        }
        if (lines.isEmpty()) {
          if (!found[0]) {
            return false;
          }
          commit(batch);
          caughtUp = true;
          sleep(POLL_MILLIS);
        } else {
          caughtUp = false;
        }
      }
      return true;
    }
  }

  private void take(byte[] bytes, String cursor, boolean[] found, List<PostgresAuditStore.Line> batch) {
    PostgresAuditStore.Line line;
    try {
      line = PostgresAuditStore.Line.parse(bytes);
    } catch (IOException e) {
      // A damaged line cannot be keyed; `audit verify` reports it, the copy skips it.
      LOG.warn("audit replication: skipping an unreadable line in {}: {}", activeFile, e.getMessage());
      return;
    }
    if (!found[0]) {
      found[0] = line.hash().equals(cursor);
      return;
    }
    batch.add(line);
    if (batch.size() >= batchSize) {
      commit(batch);
    }
  }

  /** Inserts the batch, retrying until it succeeds or the replicator closes. */
  private void commit(List<PostgresAuditStore.Line> batch) {
    if (batch.isEmpty()) {
      return;
    }
    Boolean done = retry("insert " + batch.size() + " events", () -> {
      PostgresAuditStore.await(store.insert(batch));
      return Boolean.TRUE;
    });
    if (done != null) {
      copied.addAndGet(batch.size());
      batch.clear();
    }
  }

  /** Runs {@code action} until it succeeds; null when closed first. */
  private <T> T retry(String what, IoAction<T> action) {
    while (!closed) {
      try {
        T result = action.run();
        if (lastError != null) {
          LOG.info("audit replication: PostgreSQL is reachable again ({} {})", what, store.table());
        }
        lastError = null;
        return result;
      } catch (IOException e) {
        lastError = e.getMessage();
        caughtUp = false;
        long now = System.nanoTime();
        if (now - lastWarn > Duration.ofSeconds(30).toNanos() || lastWarn == 0) {
          lastWarn = now;
          LOG.warn("audit replication: cannot {} ({}); events wait in {} and are copied when it is back",
              what, e.getMessage(), activeFile);
        }
        sleep(retryMillis);
      }
    }
    return null;
  }

  private void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      // close() interrupts to cut waits short; the loops check `closed`.
    }
  }

  private void readLines(Path file, LineConsumer consumer) throws IOException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 64 * 1024)) {
      ByteArrayOutputStream line = new ByteArrayOutputStream(2048);
      int b;
      while (!closed && (b = in.read()) >= 0) {
        if (b == '\n') {
          consumer.accept(line.toByteArray());
          line.reset();
        } else {
          line.write(b);
        }
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @FunctionalInterface
  private interface IoAction<T> {
    T run() throws IOException;
  }

  @FunctionalInterface
  private interface LineConsumer {
    void accept(byte[] line);
  }
}

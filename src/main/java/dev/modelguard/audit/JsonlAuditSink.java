package dev.modelguard.audit;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link AuditSink} appending one hash-chained JSON object per line to a file (see
 * {@link AuditVerifier} for the chain). The gateway's default sink.
 *
 * <p>Threading: {@link #record} only offers the event to a bounded queue; one background writer
 * thread serialises, chains and writes events in batches. So the event loop never waits for disk,
 * and the chain needs no lock because only the writer touches it.
 *
 * <p>Durability: after each batch the writer flushes its buffer to the operating system, so a
 * crash of the JVM loses at most the events still queued. {@link FileChannel#force} runs at most
 * once per {@code fsyncInterval} (and when the writer goes idle with unforced data, once that
 * interval has passed), so a power or kernel failure can lose the events written during the last
 * {@code fsyncInterval} plus the batch being written. {@link #flush()} and {@link #close()} force
 * immediately.
 *
 * <p>Overload: when the queue is full, {@link #record} drops the event instead of blocking, counts
 * it in {@link #droppedEvents()}, logs an error at most once per second, and the next event
 * written carries the note {@code audit_events_dropped:N} (N events lost since the previous note),
 * so the gap is visible in the log itself.
 *
 * <p>Failure: if a write fails, the sink stops writing (a half-written line would break the chain
 * for every later line), logs the error once, counts every later event as dropped, and fails
 * pending and later {@link #flush()} futures with that error.
 *
 * <p>{@link #flush()} futures are completed on the writer thread; chain work onto them with the
 * {@code *Async} methods so it does not delay writing.
 *
 * <p>Start: a final line without a newline is a torn write (the process died mid-line; such an
 * event was never durably written, so never acknowledged as such): its bytes are moved to
 * {@code FILE.torn-YYYYMMDD-HHMMSS}, the file is cut back to its last complete line, and a warning
 * names both. Then an existing non-empty file is continued: its last line (read from the end) must be a
 * complete chained line, whose hash becomes the next line's prev. Otherwise the constructor
 * refuses with an {@link IOException} naming the file and line, since appending would produce a
 * log that never verifies. Only the last line is checked; {@code audit verify} checks the whole
 * file. One process may write a file at a time. When the active file is missing or empty but
 * rotated files exist, the chain continues from the newest rotated file's last line.
 *
 * <p>Rotation (on the writer thread): before a line would take the active file past
 * {@link Options#maxFileBytes()}, or when the UTC day of the write differs from the day the active
 * file was started, the active file is forced, renamed to {@code NAME-YYYYMMDD-HHMMSS[-N].jsonl}
 * (see {@link AuditFiles}) and a new active file is started. The chain does not restart: the new
 * file's first line chains to the rotated file's last line. After each rotation, and on start,
 * rotated files older than {@link Options#retentionDays()} are deleted (a failed delete is logged
 * and retried at the next rotation).
 */
public final class JsonlAuditSink implements AuditSink {
  /** Default queue capacity: about a second of events at high load, a few MB of memory. */
  public static final int DEFAULT_CAPACITY = 65_536;
  /** Default longest time between {@code fsync}s. */
  public static final Duration DEFAULT_FSYNC_INTERVAL = Duration.ofMillis(100);

  private static final Logger LOG = LoggerFactory.getLogger(JsonlAuditSink.class);
  private static final int MAX_BATCH = 1024;
  private static final long DROP_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
  /** Wakes the writer for a flush or close; never written. */
  private static final Object WAKE = new Object();

  /**
   * How the sink buffers, forces and rotates.
   *
   * @param capacity events that may wait for the writer before {@link #record} starts dropping
   * @param fsyncInterval the longest time written events may stay out of stable storage
   * @param maxFileBytes the active file is rotated before a line would take it past this size
   * @param retentionDays rotated files older than this are deleted; 0 keeps them forever
   */
  public record Options(int capacity, Duration fsyncInterval, long maxFileBytes, int retentionDays) {
    /** Rejects values that cannot work, naming the parameter. */
    public Options {
      if (capacity < 1) {
        throw new IllegalArgumentException("capacity must be >= 1, was " + capacity);
      }
      if (fsyncInterval == null || fsyncInterval.isNegative()) {
        throw new IllegalArgumentException("fsyncInterval must be >= 0, was " + fsyncInterval);
      }
      if (maxFileBytes < 1) {
        throw new IllegalArgumentException("maxFileBytes must be >= 1, was " + maxFileBytes);
      }
      if (retentionDays < 0) {
        throw new IllegalArgumentException("retentionDays must be >= 0, was " + retentionDays);
      }
    }

    /** The defaults: 65536 events, 100 ms, 100 MiB, 30 days. */
    public static Options defaults() {
      return new Options(DEFAULT_CAPACITY, DEFAULT_FSYNC_INTERVAL, 100L * 1024 * 1024, 30);
    }

    /** These options with another fsync interval. */
    public Options withFsyncInterval(Duration interval) {
      return new Options(capacity, interval, maxFileBytes, retentionDays);
    }
  }

  private final Path file;
  private final long fsyncIntervalNanos;
  private final long maxFileBytes;
  private final int retentionDays;
  private final Clock clock;
  private final BlockingQueue<Object> queue;
  private final ConcurrentLinkedQueue<CompletableFuture<Void>> flushRequests = new ConcurrentLinkedQueue<>();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong droppedSinceNote = new AtomicLong();
  private final AtomicLong lastDropLogNanos = new AtomicLong(System.nanoTime() - DROP_LOG_INTERVAL_NANOS);
  private final Thread writer;
  private volatile boolean closed;
  private volatile LongConsumer writeObserver = nanos -> { };
  private volatile IOException failure;
  /** Set by the writer as it exits; with the queue it closes the race against a late record or flush. */
  private volatile boolean writerDone;

  // Owned by the writer thread (set up by the constructor before the writer starts).
  private FileChannel channel;
  private OutputStream out;
  private long size;
  private LocalDate fileDay;
  private String prevHash;
  private boolean unforced;
  private long lastForceNanos = System.nanoTime();

  /**
   * Opens {@code file} with {@link #DEFAULT_CAPACITY} and {@link #DEFAULT_FSYNC_INTERVAL}.
   *
   * @throws IOException if the file cannot be created or opened, or its last line is not a valid
   *     chained line (the message names the file and line)
   */
  public JsonlAuditSink(Path file) throws IOException {
    this(file, DEFAULT_CAPACITY, DEFAULT_FSYNC_INTERVAL);
  }

  /**
   * Opens {@code file}, creating it and its parent directories if needed, and starts the writer.
   *
   * @param capacity events that may wait for the writer before {@link #record} starts dropping
   * @param fsyncInterval the longest time written events may stay out of stable storage
   * @throws IOException if the file cannot be created or opened, or its last line is not a valid
   *     chained line (the message names the file and line)
   */
  public JsonlAuditSink(Path file, int capacity, Duration fsyncInterval) throws IOException {
    this(file, new Options(capacity, fsyncInterval, Options.defaults().maxFileBytes(),
        Options.defaults().retentionDays()));
  }

  /**
   * Opens {@code file} (creating it and its parent directories if needed), applies retention to
   * its rotated files and starts the writer.
   *
   * @throws IOException if the file cannot be created or opened, or the line the chain must
   *     continue from is not a valid chained line (the message names the file and line)
   */
  public JsonlAuditSink(Path file, Options options) throws IOException {
    this(file, options, Clock.systemUTC(), r -> new Thread(r, "modelguard-audit-writer"));
  }

  /** As above, with the writer thread made by {@code threadFactory} (tests gate it to fill the queue). */
  JsonlAuditSink(Path file, int capacity, Duration fsyncInterval, ThreadFactory threadFactory) throws IOException {
    this(file, new Options(capacity, fsyncInterval, Options.defaults().maxFileBytes(),
        Options.defaults().retentionDays()), Clock.systemUTC(), threadFactory);
  }

  /** The full constructor; tests pass a clock to cross days and reach retention ages. */
  JsonlAuditSink(Path file, Options options, Clock clock, ThreadFactory threadFactory) throws IOException {
    this.file = Objects.requireNonNull(file, "file");
    this.fsyncIntervalNanos = options.fsyncInterval().toNanos();
    this.maxFileBytes = options.maxFileBytes();
    this.retentionDays = options.retentionDays();
    this.clock = Objects.requireNonNull(clock, "clock");
    this.queue = new ArrayBlockingQueue<>(options.capacity());
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    if (Files.exists(file)) {
      moveTornTailAside(file, clock);
    }
    if (Files.exists(file) && Files.size(file) > 0) {
      try (FileChannel reader = FileChannel.open(file, StandardOpenOption.READ)) {
        this.prevHash = lastHash(file, reader);
      }
      this.fileDay = LocalDate.ofInstant(Files.getLastModifiedTime(file).toInstant(), ZoneOffset.UTC);
    } else {
      List<Path> rotated = AuditFiles.rotatedSiblings(file);
      if (rotated.isEmpty()) {
        this.prevHash = HashChain.GENESIS;
      } else {
        // A crash between rotating and the first write of the new file leaves no active file:
        // the chain must still continue, not restart at genesis.
        Path newest = rotated.get(rotated.size() - 1);
        try (FileChannel reader = FileChannel.open(newest, StandardOpenOption.READ)) {
          this.prevHash = lastHash(newest, reader);
        }
      }
      this.fileDay = today();
    }
    openActive();
    applyRetention();
    this.writer = threadFactory.newThread(this::runWriter);
    // Daemon so a forgotten close() cannot keep the JVM alive; close() is what guarantees the drain.
    writer.setDaemon(true);
    writer.start();
  }

  /** The file this sink appends to. */
  public Path file() {
    return file;
  }

  /** Events waiting for the writer right now (a metrics gauge; racy by nature). */
  public int queueDepth() {
    return queue.size();
  }

  /**
   * Reports the time each batch took to write (and to force, when one was due) to {@code observer},
   * on the writer thread; it must be quick and must not throw. Replaces any earlier observer.
   */
  public void observeWrites(LongConsumer observer) {
    writeObserver = Objects.requireNonNull(observer, "observer");
  }

  /** Events lost since this sink was opened: queue full, sink closed or failed, or unserialisable. */
  public long droppedEvents() {
    return dropped.get();
  }

  @Override
  public void record(AuditEvent event) {
    Objects.requireNonNull(event, "event");
    IOException failed = failure;
    if (closed || failed != null) {
      drop(1, failed != null ? "sink failed: " + failed.getMessage() : "sink is closed");
    } else if (!queue.offer(event)) {
      drop(1, "queue is full");
    } else if (writerDone && queue.remove(event)) {
      // The writer exited after our check of `closed`; it can no longer count this one, so we do.
      drop(1, "sink is closed");
    }
  }

  @Override
  public CompletableFuture<Void> flush() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    IOException failed = failure;
    if (failed != null) {
      done.completeExceptionally(failed);
      return done;
    }
    flushRequests.add(done);
    // A full queue means the writer is busy and will see the request without a wake-up.
    queue.offer(WAKE);
    if (writerDone) {
      // The writer may have answered its last requests before ours arrived; answer ours here.
      completeFlushRequests();
    }
    return done;
  }

  @Override
  public void close() {
    closed = true;
    queue.offer(WAKE);
    boolean interrupted = false;
    while (writer.isAlive()) {
      try {
        writer.join();
      } catch (InterruptedException e) {
        // Keep waiting: returning early would let the caller exit with events unwritten.
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void drop(long n, String why) {
    long total = dropped.addAndGet(n);
    droppedSinceNote.addAndGet(n);
    long now = System.nanoTime();
    long last = lastDropLogNanos.get();
    if (now - last >= DROP_LOG_INTERVAL_NANOS && lastDropLogNanos.compareAndSet(last, now)) {
      LOG.error("audit events dropped ({}): {} lost so far, writing to {}", why, total, file);
    }
  }

  private void runWriter() {
    List<Object> batch = new ArrayList<>(MAX_BATCH);
    try {
      while (true) {
        List<CompletableFuture<Void>> flushes = takeFlushRequests();
        boolean closing = closed;
        // Everything recorded before these flush requests (or before close) is in the queue now;
        // writing exactly that many keeps a flush from waiting on events recorded after it.
        int due = queue.size();
        while (due > 0) {
          batch.clear();
          int drained = queue.drainTo(batch, Math.min(due, MAX_BATCH));
          if (drained == 0) {
            break;
          }
          due -= drained;
          writeBatch(batch);
        }
        if (!flushes.isEmpty() || closing) {
          forceIfNeeded(true);
          flushes.forEach(f -> f.complete(null));
          if (closing) {
            return;
          }
          continue;
        }
        long waitNanos = unforced
            ? Math.max(0, fsyncIntervalNanos - (System.nanoTime() - lastForceNanos))
            : TimeUnit.SECONDS.toNanos(1);
        Object first = queue.poll(waitNanos, TimeUnit.NANOSECONDS);
        if (first == null) {
          forceIfNeeded(unforced);
        } else {
          batch.clear();
          batch.add(first);
          queue.drainTo(batch, MAX_BATCH - 1);
          writeBatch(batch);
        }
      }
    } catch (IOException e) {
      failure = e;
      LOG.error("audit log {} failed; later events are dropped until restart", file, e);
      failWriter(e);
    } catch (InterruptedException e) {
      IOException stopped = new IOException("audit writer for " + file + " was interrupted");
      failure = stopped;
      LOG.error("audit writer for {} interrupted; later events are dropped", file);
      failWriter(stopped);
    } catch (RuntimeException | Error e) {
      IOException broken = new IOException("audit writer for " + file + " failed: " + e, e);
      failure = broken;
      LOG.error("audit writer for {} failed; later events are dropped", file, e);
      failWriter(broken);
    } finally {
      try {
        out.close();
      } catch (IOException e) {
        LOG.error("closing audit log {} failed", file, e);
      }
      writerDone = true;
      int late = 0;
      Object o;
      while ((o = queue.poll()) != null) {
        if (o != WAKE) {
          late++;
        }
      }
      if (late > 0) {
        drop(late, "sink is closed");
      }
      completeFlushRequests();
    }
  }

  private void failWriter(IOException cause) {
    int lost = 0;
    Object o;
    while ((o = queue.poll()) != null) {
      if (o != WAKE) {
        lost++;
      }
    }
    if (lost > 0) {
      drop(lost, "sink failed: " + cause.getMessage());
    }
    CompletableFuture<Void> f;
    while ((f = flushRequests.poll()) != null) {
      f.completeExceptionally(cause);
    }
  }

  private void completeFlushRequests() {
    CompletableFuture<Void> f;
    while ((f = flushRequests.poll()) != null) {
      IOException failed = failure;
      if (failed != null) {
        f.completeExceptionally(failed);
      } else {
        f.complete(null);
      }
    }
  }

  private List<CompletableFuture<Void>> takeFlushRequests() {
    List<CompletableFuture<Void>> taken = new ArrayList<>();
    CompletableFuture<Void> f;
    while ((f = flushRequests.poll()) != null) {
      taken.add(f);
    }
    return taken;
  }

  private void writeBatch(List<Object> batch) throws IOException {
    long started = System.nanoTime();
    boolean wrote = false;
    for (Object o : batch) {
      if (o == WAKE) {
        continue;
      }
      AuditEvent event = (AuditEvent) o;
      long lost = droppedSinceNote.getAndSet(0);
      if (lost > 0) {
        event = event.withNote("audit_events_dropped:" + lost);
      }
      byte[] json;
      try {
        json = HashChain.MAPPER.writeValueAsBytes(event);
      } catch (IOException | RuntimeException e) {
        // Not an I/O failure: skip this one event, keep the chain and the sink going.
        LOG.error("audit event {} could not be serialised", event.requestId(), e);
        droppedSinceNote.addAndGet(lost);
        drop(1, "unserialisable event");
        continue;
      }
      HashChain.Chained chained = HashChain.chain(json, prevHash);
      long needed = chained.line().length + 1L;
      if (size > 0 && (size + needed > maxFileBytes || !today().equals(fileDay))) {
        rotate();
      }
      out.write(chained.line());
      out.write('\n');
      size += needed;
      prevHash = chained.hash();
      wrote = true;
    }
    if (wrote) {
      out.flush();
      unforced = true;
      forceIfNeeded(false);
      writeObserver.accept(System.nanoTime() - started);
    }
  }

  private void forceIfNeeded(boolean now) throws IOException {
    if (!unforced) {
      return;
    }
    long t = System.nanoTime();
    if (now || t - lastForceNanos >= fsyncIntervalNanos) {
      out.flush();
      channel.force(false);
      lastForceNanos = t;
      unforced = false;
    }
  }

  /**
   * Cuts a torn final line (bytes after the last newline) off {@code file}, keeping those bytes in
   * a side file so nothing is destroyed, and forcing both before the chain continues.
   */
  static void moveTornTailAside(Path file, Clock clock) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long size = ch.size();
      if (size == 0 || readByte(ch, size - 1) == '\n') {
        return;
      }
      long start = lastLineStart(ch, size);
      String base = file.getFileName() + ".torn-"
          + java.time.format.DateTimeFormatter.ofPattern("uuuuMMdd-HHmmss").withZone(ZoneOffset.UTC)
              .format(clock.instant());
      Path aside = file.resolveSibling(base);
      for (int n = 1; Files.exists(aside); n++) {
        aside = file.resolveSibling(base + "-" + n);
      }
      try (FileChannel torn = FileChannel.open(aside, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        long copied = 0;
        while (copied < size - start) {
          copied += ch.transferTo(start + copied, size - start - copied, torn);
        }
        torn.force(true);
      }
      ch.truncate(start);
      ch.force(true);
      LOG.warn("audit log {}: the last line was torn ({} bytes without a newline: the writer stopped mid-line);"
          + " moved them to {} and continuing the chain from the last complete line", file, size - start, aside);
    }
  }

  private LocalDate today() {
    return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
  }

  private void openActive() throws IOException {
    // APPEND (O_APPEND) so every batch lands at the end even if the file was extended meanwhile.
    channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    size = channel.size();
    out = new BufferedOutputStream(Channels.newOutputStream(channel), 64 * 1024);
  }

  /** Closes the active file durably, renames it to its rotated name and starts a new one. */
  private void rotate() throws IOException {
    out.flush();
    channel.force(false);
    out.close();
    Instant now = clock.instant();
    Path target = AuditFiles.rotatedName(file, now);
    Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
    syncDirectory();
    LOG.info("audit log rotated: {} -> {}", file, target.getFileName());
    fileDay = today();
    unforced = false;
    lastForceNanos = System.nanoTime();
    openActive();
    applyRetention();
  }

  /** Makes the rename durable; without it a power failure could bring the old name back. */
  private void syncDirectory() {
    Path dir = file.toAbsolutePath().getParent();
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // Some platforms cannot open directories; the rename itself succeeded.
      LOG.debug("cannot fsync directory {}: {}", dir, e.toString());
    }
  }

  private void applyRetention() {
    if (retentionDays == 0) {
      return;
    }
    Instant cutoff = clock.instant().minus(Duration.ofDays(retentionDays));
    List<Path> rotated;
    try {
      rotated = AuditFiles.rotatedSiblings(file);
    } catch (IOException e) {
      LOG.warn("audit retention: cannot list rotated files of {}: {}", file, e.toString());
      return;
    }
    for (Path p : rotated) {
      if (AuditFiles.rotatedAt(p).map(at -> at.isBefore(cutoff)).orElse(false)) {
        try {
          Files.deleteIfExists(p);
          LOG.info("audit retention: deleted {} (older than {} days)", p, retentionDays);
        } catch (IOException e) {
          LOG.warn("audit retention: cannot delete {}: {}", p, e.toString());
        }
      }
    }
  }

  /** The hash of the file's last line, or the genesis value for an empty file. */
  private static String lastHash(Path file, FileChannel ch) throws IOException {
    long size = ch.size();
    if (size == 0) {
      return HashChain.GENESIS;
    }
    if (readByte(ch, size - 1) != '\n') {
      throw new IOException(file + ":" + countLines(ch, size) + ": last line is incomplete (no newline at end);"
          + " run `audit verify " + file + "` and repair the file before appending");
    }
    long end = size - 1;
    long start = lastLineStart(ch, end);
    long length = end - start;
    if (length > Integer.MAX_VALUE - 8) {
      throw new IOException(file + ": last line is too long to be an audit event (" + length + " bytes)");
    }
    ByteBuffer buf = ByteBuffer.allocate((int) length);
    while (buf.hasRemaining()) {
      if (ch.read(buf, start + buf.position()) < 0) {
        throw new IOException(file + ": changed while being opened");
      }
    }
    try {
      return HashChain.check(buf.array(), buf.limit()).hash();
    } catch (HashChain.BadLine e) {
      throw new IOException(file + ":" + countLines(ch, size) + ": " + e.getMessage()
          + "; refusing to append to a log whose chain cannot continue (run `audit verify " + file + "`)");
    }
  }

  /** Scans backwards from {@code end} (exclusive, the final newline) to just after the previous newline. */
  private static long lastLineStart(FileChannel ch, long end) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(8192);
    long pos = end;
    while (pos > 0) {
      int n = (int) Math.min(buf.capacity(), pos);
      buf.clear().limit(n);
      long from = pos - n;
      while (buf.hasRemaining()) {
        if (ch.read(buf, from + buf.position()) < 0) {
          throw new IOException("file shrank while being read");
        }
      }
      for (int i = n - 1; i >= 0; i--) {
        if (buf.get(i) == '\n') {
          return from + i + 1;
        }
      }
      pos = from;
    }
    return 0;
  }

  private static byte readByte(FileChannel ch, long at) throws IOException {
    ByteBuffer one = ByteBuffer.allocate(1);
    if (ch.read(one, at) != 1) {
      throw new IOException("file shrank while being read");
    }
    return one.get(0);
  }

  /** The number of the line holding the file's last byte; only used for error messages. */
  private static long countLines(FileChannel ch, long size) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    long lines = 0;
    long pos = 0;
    while (pos < size) {
      buf.clear();
      int n = ch.read(buf, pos);
      if (n < 0) {
        break;
      }
      for (int i = 0; i < n; i++) {
        if (buf.get(i) == '\n' && pos + i < size - 1) {
          lines++;
        }
      }
      pos += n;
    }
    return lines + 1;
  }

  @Override
  public String toString() {
    return "JsonlAuditSink[" + file + "]";
  }
}

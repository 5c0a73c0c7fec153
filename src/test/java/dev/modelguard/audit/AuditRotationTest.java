package dev.modelguard.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditRotationTest {

  @TempDir Path dir;

  /** A clock the test moves forward. */
  static final class MovableClock extends Clock {
    volatile Instant now;

    MovableClock(Instant start) {
      now = start;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  private static JsonlAuditSink open(Path file, long maxBytes, int retentionDays, Clock clock) throws Exception {
    return new JsonlAuditSink(file, new JsonlAuditSink.Options(1024, Duration.ofMillis(10), maxBytes, retentionDays),
        clock, r -> new Thread(r, "test-audit-writer"));
  }

  private static long lines(List<Path> files) throws Exception {
    long n = 0;
    for (Path f : files) {
      n += Files.readAllLines(f, StandardCharsets.UTF_8).size();
    }
    return n;
  }

  @Test
  void rotatesBySizeAndTheChainRunsAcrossFiles() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    MovableClock clock = new MovableClock(Instant.parse("2026-11-29T10:00:00Z"));
    try (JsonlAuditSink sink = open(file, 4096, 30, clock)) {
      for (int i = 0; i < 40; i++) {
        sink.record(TestEvents.event("r" + i));
        sink.flush().get(5, TimeUnit.SECONDS);
      }
    }
    List<Path> files = AuditFiles.expand(file);
    assertTrue(files.size() >= 3, "expected several files, got " + files);
    assertEquals(file, files.get(files.size() - 1));
    for (Path f : files) {
      assertTrue(Files.size(f) <= 4096, f + " is " + Files.size(f) + " bytes");
    }
    // Same second: the later rotations get -1, -2 ... and still sort after the first.
    assertEquals("audit-20261129-100000.jsonl", files.get(0).getFileName().toString());
    assertEquals("audit-20261129-100000-1.jsonl", files.get(1).getFileName().toString());
    assertEquals(40, lines(files));
    AuditVerifier.Result all = new AuditVerifier().verify(files);
    assertTrue(all.ok(), all::describe);
    assertEquals(40, all.linesVerified());
    assertNull(all.startsAfter());
    assertEquals(all, new AuditVerifier().verify(AuditFiles.expand(dir)));

    // The active file alone does not start the chain: it continues the rotated ones.
    AuditVerifier.Result alone = new AuditVerifier().verify(file);
    assertFalse(alone.ok());
    // Dropping a middle file is caught at the first line of the file after the gap.
    List<Path> gap = new ArrayList<>(files);
    gap.remove(1);
    AuditVerifier.Result broken = new AuditVerifier().verify(gap);
    assertEquals(gap.get(1), broken.badFile());
    assertEquals(1, broken.badLine());
    assertTrue(broken.reason().startsWith("prev does not match the last line of " + files.get(0).getFileName()),
        broken.reason());
  }

  @Test
  void rotatesWhenTheUtcDayChangesAndRetentionDeletesOldFiles() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    MovableClock clock = new MovableClock(Instant.parse("2026-11-01T23:59:00Z"));
    try (JsonlAuditSink sink = open(file, 1 << 20, 3, clock)) {
      for (int day = 0; day < 6; day++) {
        sink.record(TestEvents.event("d" + day));
        sink.flush().get(5, TimeUnit.SECONDS);
        clock.now = clock.now.plus(Duration.ofDays(1));
      }
    }
    List<Path> files = AuditFiles.expand(file);
    List<String> names = files.stream().map(p -> p.getFileName().toString()).toList();
    // Rotated at the first write of days 2..6 (named by the rotation time); at the last rotation
    // (Nov 6 23:59) the one rotated more than 3 days before (Nov 2) is deleted.
    assertEquals(List.of("audit-20261103-235900.jsonl", "audit-20261104-235900.jsonl", "audit-20261105-235900.jsonl", "audit-20261106-235900.jsonl",
        "audit.jsonl"), names);
    AuditVerifier.Result r = new AuditVerifier().verify(files);
    assertTrue(r.ok(), r::describe);
    assertEquals(5, r.linesVerified());
    assertTrue(r.startsAfter() != null && r.describe().contains("starts after"), r.describe());
  }

  @Test
  void reopeningAfterARotationWithNoActiveFileContinuesTheChain() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    MovableClock clock = new MovableClock(Instant.parse("2026-11-29T10:00:00Z"));
    try (JsonlAuditSink sink = open(file, 4096, 30, clock)) {
      for (int i = 0; i < 10; i++) {
        sink.record(TestEvents.event("a" + i));
      }
    }
    // As if the process died right after renaming the active file away.
    Files.move(file, AuditFiles.rotatedName(file, clock.instant()));
    try (JsonlAuditSink sink = open(file, 4096, 30, clock)) {
      sink.record(TestEvents.event("after"));
    }
    AuditVerifier.Result r = new AuditVerifier().verify(AuditFiles.expand(file));
    assertTrue(r.ok(), r::describe);
    assertEquals(11, r.linesVerified());
  }
}

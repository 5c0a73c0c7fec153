package dev.modelguard.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditFollowerTest {
  @TempDir Path dir;

  @Test
  void followsAcrossARotationWithoutLosingOrRepeatingEvents() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    AuditRotationTest.MovableClock clock = new AuditRotationTest.MovableClock(Instant.parse("2026-11-29T23:59:00Z"));
    List<String> seen = new ArrayList<>();
    try (JsonlAuditSink sink = new JsonlAuditSink(file, new JsonlAuditSink.Options(64, Duration.ZERO, 1 << 20, 0),
            clock, r -> new Thread(r, "w"));
        AuditFollower follower = AuditFollower.fromEnd(file)) {
      sink.record(TestEvents.event("before"));
      sink.flush().get(5, TimeUnit.SECONDS);
      follower.poll().forEach(e -> seen.add(e.requestId()));
      sink.record(TestEvents.event("old-file-last"));
      sink.flush().get(5, TimeUnit.SECONDS);
      clock.now = clock.now.plus(Duration.ofMinutes(2));
      sink.record(TestEvents.event("new-file-first"));
      sink.flush().get(5, TimeUnit.SECONDS);
      follower.poll().forEach(e -> seen.add(e.requestId()));
      follower.poll().forEach(e -> seen.add(e.requestId()));
    }
    assertEquals(List.of("before", "old-file-last", "new-file-first"), seen);
    assertEquals(2, AuditFiles.expand(file).size());
  }

  @Test
  void severalRotationsBetweenPollsAreAllRead() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    AuditRotationTest.MovableClock clock = new AuditRotationTest.MovableClock(Instant.parse("2026-11-29T10:00:00Z"));
    List<String> seen = new ArrayList<>();
    try (JsonlAuditSink sink = new JsonlAuditSink(file, new JsonlAuditSink.Options(64, Duration.ZERO, 4096, 0),
            clock, r -> new Thread(r, "w"));
        AuditFollower follower = AuditFollower.fromStart(file)) {
      for (int i = 0; i < 40; i++) {
        sink.record(TestEvents.event("e" + i));
        sink.flush().get(5, TimeUnit.SECONDS);
      }
      assertTrue(AuditFiles.expand(file).size() >= 4, "several rotations happened");
      follower.poll().forEach(e -> seen.add(e.requestId()));
    }
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      expected.add("e" + i);
    }
    assertEquals(expected, seen);
  }

  @Test
  void aLargeBacklogIsReadInBoundedPolls() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    int n = 12_000;
    try (JsonlAuditSink sink = new JsonlAuditSink(file, n, Duration.ofSeconds(1))) {
      for (int i = 0; i < n; i++) {
        sink.record(TestEvents.event("b" + i));
      }
    }
    assertTrue(java.nio.file.Files.size(file) > 2 * AuditFollower.MAX_BYTES_PER_POLL, "the backlog spans several polls");
    List<String> seen = new ArrayList<>();
    int polls = 0;
    try (AuditFollower follower = AuditFollower.fromStart(file)) {
      List<AuditEvent> got;
      while (!(got = follower.poll()).isEmpty()) {
        polls++;
        got.forEach(e -> seen.add(e.requestId()));
      }
    }
    assertTrue(polls >= 3, "polls: " + polls);
    assertEquals(n, seen.size());
    assertEquals("b0", seen.get(0));
    assertEquals("b" + (n - 1), seen.get(n - 1));
  }
}

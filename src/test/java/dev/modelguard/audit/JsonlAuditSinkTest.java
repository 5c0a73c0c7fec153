package dev.modelguard.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlAuditSinkTest {

  @TempDir Path dir;

  private static List<JsonNode> read(Path file) throws IOException {
    List<JsonNode> nodes = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      nodes.add(HashChain.MAPPER.readTree(line));
    }
    return nodes;
  }

  private static void assertChainIntact(Path file, long lines) throws IOException {
    AuditVerifier.Result result = new AuditVerifier().verify(file);
    assertTrue(result.ok(), result::describe);
    assertEquals(lines, result.linesVerified());
  }

  @Test
  void concurrentWritersProduceOneIntactChainWithEveryEvent() throws Exception {
    Path file = dir.resolve("nested/dirs/audit.jsonl");
    int threads = 8;
    int perThread = 2_000;
    try (JsonlAuditSink sink = new JsonlAuditSink(file)) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        done.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < perThread; i++) {
            sink.record(TestEvents.event("t" + thread + "-" + i));
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(30, TimeUnit.SECONDS);
      }
      pool.shutdown();
      sink.flush().get(30, TimeUnit.SECONDS);
      assertEquals(0, sink.droppedEvents());
    }

    assertChainIntact(file, (long) threads * perThread);
    List<JsonNode> nodes = read(file);
    Set<String> ids = new HashSet<>();
    int[] nextPerThread = new int[threads];
    for (JsonNode n : nodes) {
      String id = n.get("request_id").asText();
      ids.add(id);
      int thread = Integer.parseInt(id.substring(1, id.indexOf('-')));
      int seq = Integer.parseInt(id.substring(id.indexOf('-') + 1));
      assertEquals(nextPerThread[thread]++, seq, "one thread's events keep their order");
    }
    assertEquals(threads * perThread, ids.size());
    assertEquals(HashChain.GENESIS, nodes.get(0).get("prev").asText());
  }

  @Test
  void reopeningContinuesTheChain() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    try (JsonlAuditSink sink = new JsonlAuditSink(file)) {
      for (int i = 0; i < 3; i++) {
        sink.record(TestEvents.event("first-" + i));
      }
    }
    try (JsonlAuditSink sink = new JsonlAuditSink(file)) {
      for (int i = 0; i < 2; i++) {
        sink.record(TestEvents.event("second-" + i));
      }
    }
    assertChainIntact(file, 5);
    List<JsonNode> nodes = read(file);
    assertEquals(nodes.get(2).get("hash"), nodes.get(3).get("prev"));
  }

  @Test
  void reopeningFindsTheLastLineOfALargeFile() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    // A text larger than the backwards-read chunk makes the last line span several chunks.
    AuditEvent big = AuditEvent.builder().ts(java.time.Instant.EPOCH).requestId("big").route("/v1")
        .policy("p").policyVersion("v").direction(dev.modelguard.guard.Direction.PROMPT)
        .verdict(dev.modelguard.policy.Action.ALLOW).latency(0, 0, 0).text("x".repeat(50_000)).build();
    try (JsonlAuditSink sink = new JsonlAuditSink(file)) {
      sink.record(TestEvents.event("a"));
      sink.record(big);
    }
    try (JsonlAuditSink sink = new JsonlAuditSink(file)) {
      sink.record(TestEvents.event("b"));
    }
    assertChainIntact(file, 3);
  }

  @Test
  void refusesToAppendAfterATamperedLastLine() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    List<String> lines = new ArrayList<>(AuditVerifierTest.writeLog(file, 4));
    lines.set(3, lines.get(3).replace("req-4", "req-X"));
    Files.write(file, lines, StandardCharsets.UTF_8);

    IOException e = assertThrows(IOException.class, () -> new JsonlAuditSink(file));
    assertTrue(e.getMessage().startsWith(file + ":4: hash mismatch"), e.getMessage());
  }

  @Test
  void movesATornLastLineAsideAndContinuesTheChainFromTheLastCompleteLine() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    AuditVerifierTest.writeLog(file, 3);
    byte[] bytes = Files.readAllBytes(file);
    byte[] cut = java.util.Arrays.copyOf(bytes, bytes.length - 10);
    Files.write(file, cut);
    AuditVerifier.Result before = new AuditVerifier().verify(file);
    assertTrue(before.ok(), before::describe);
    assertEquals(2, before.linesVerified());
    assertTrue(before.tornBytes() > 0 && before.describe().contains("WARNING: the last line is torn"), before.describe());

    try (JsonlAuditSink sink = new JsonlAuditSink(file)) {
      sink.record(TestEvents.event("after-crash"));
    }
    assertChainIntact(file, 3);
    assertEquals("after-crash", read(file).get(2).get("request_id").asText());
    List<Path> aside;
    try (var list = Files.list(dir)) {
      aside = list.filter(p -> p.getFileName().toString().startsWith("audit.jsonl.torn-")).toList();
    }
    assertEquals(1, aside.size(), aside::toString);
    int tornLength = (int) before.tornBytes();
    assertEquals(new String(cut, cut.length - tornLength, tornLength, StandardCharsets.UTF_8),
        Files.readString(aside.get(0)));
  }

  @Test
  void recordNeverBlocksWhenTheQueueIsFullAndTheLossIsNotedInTheLog() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    CountDownLatch writerMayRun = new CountDownLatch(1);
    ThreadFactory gated = r -> new Thread(() -> {
      try {
        writerMayRun.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      r.run();
    });
    int capacity = 4;
    int recorded = 10_000;
    JsonlAuditSink sink = new JsonlAuditSink(file, capacity, Duration.ofMillis(100), gated);
    try {
      assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
        for (int i = 0; i < recorded; i++) {
          sink.record(TestEvents.event("r" + i));
        }
      });
      assertEquals(recorded - capacity, sink.droppedEvents());
    } finally {
      writerMayRun.countDown();
      sink.close();
    }

    assertChainIntact(file, capacity);
    List<JsonNode> nodes = read(file);
    assertEquals("[\"audit_events_dropped:" + (recorded - capacity) + "\"]", nodes.get(0).get("notes").toString());
    assertTrue(nodes.get(1).get("notes") == null, "the note appears once per loss");
  }

  @Test
  void closeDrainsEverythingRecordedAndLaterRecordsAreCountedAsDropped() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    JsonlAuditSink sink = new JsonlAuditSink(file, 100_000, Duration.ofSeconds(10));
    for (int i = 0; i < 5_000; i++) {
      sink.record(TestEvents.event("c" + i));
    }
    sink.close();
    sink.close();
    assertChainIntact(file, 5_000);

    sink.record(TestEvents.event("late"));
    assertEquals(1, sink.droppedEvents());
    sink.flush().get(5, TimeUnit.SECONDS);
  }

  @Test
  void flushMakesEarlierEventsVisibleWithoutClosing() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    try (JsonlAuditSink sink = new JsonlAuditSink(file, 16, Duration.ofSeconds(10))) {
      sink.record(TestEvents.event("one"));
      sink.record(TestEvents.event("two"));
      sink.flush().get(5, TimeUnit.SECONDS);
      assertChainIntact(file, 2);
    }
  }
}

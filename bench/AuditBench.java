// Audit benchmark: JSONL sink throughput, PostgreSQL copy throughput, and the cost the audit adds
// on the request path (the record() call, which is all the event loop does; serialising, hashing,
// writing and fsync happen on the writer thread).
// Run with bench/audit.sh (single-file source launched against the shaded jar).
import dev.modelguard.audit.AuditEvent;
import dev.modelguard.audit.JsonlAuditSink;
import dev.modelguard.audit.PostgresAuditStore;
import dev.modelguard.audit.PostgresReplicator;
import dev.modelguard.config.GatewayConfig;
import dev.modelguard.guard.Direction;
import dev.modelguard.policy.Action;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

public class AuditBench {
  static AuditEvent event(int i) {
    return AuditEvent.builder().ts(Instant.now()).requestId("bench-" + i).tenant("team-a").route("/v1")
        .policy("default").policyVersion("sha256:" + "ab".repeat(32)).direction(Direction.PROMPT)
        .verdict(Action.REDACT).category("pii")
        .finding(new AuditEvent.AuditFinding("pii", "pii", "EMAIL", 1.0, 9, 18, Action.REDACT))
        .upstream("openai").status(200).latency(0.2, 812.5, 813.4)
        .text("Write to [EMAIL_1] about the quarterly report and the meeting on Thursday, please.").build();
  }

  /** Events/s for n events recorded by `threads` threads, until durably flushed. */
  static double jsonl(Path dir, int n, int threads, Duration fsync) throws Exception {
    Path file = Files.createTempDirectory(dir, "jsonl").resolve("audit.jsonl");
    try (JsonlAuditSink sink = new JsonlAuditSink(file, 1 << 20, fsync)) {
      CountDownLatch go = new CountDownLatch(1);
      List<Thread> ts = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int from = t * (n / threads);
        Thread th = new Thread(() -> {
          try {
            go.await();
          } catch (InterruptedException e) {
            return;
          }
          for (int i = 0; i < n / threads; i++) {
            sink.record(event(from + i));
          }
        });
        th.start();
        ts.add(th);
      }
      long t0 = System.nanoTime();
      go.countDown();
      for (Thread th : ts) {
        th.join();
      }
      sink.flush().get(120, TimeUnit.SECONDS);
      double secs = (System.nanoTime() - t0) / 1e9;
      if (sink.droppedEvents() > 0) {
        throw new IllegalStateException(sink.droppedEvents() + " events dropped");
      }
      return n / secs;
    }
  }

  /** Nanoseconds per record() call, paced at `rate` events/s so the writer keeps up: p50, p99, p99.9, max. */
  static long[] recordCost(Path dir, int n, int rate) throws Exception {
    Path file = Files.createTempDirectory(dir, "cost").resolve("audit.jsonl");
    long[] cost = new long[n];
    try (JsonlAuditSink sink = new JsonlAuditSink(file)) {
      long interval = 1_000_000_000L / rate;
      long next = System.nanoTime();
      for (int i = 0; i < n; i++) {
        AuditEvent e = event(i);
        long t0 = System.nanoTime();
        sink.record(e);
        cost[i] = System.nanoTime() - t0;
        next += interval;
        while (System.nanoTime() < next) {
          Thread.onSpinWait();
        }
      }
      sink.flush().get(60, TimeUnit.SECONDS);
    }
    Arrays.sort(cost);
    return new long[] {cost[n / 2], cost[(int) (n * 0.99)], cost[(int) (n * 0.999)], cost[n - 1]};
  }

  /** Events/s the PostgreSQL copy inserts: n events already in the file, from start to caught up. */
  static double postgres(Path dir, String url, int n, int batch) throws Exception {
    Path file = Files.createTempDirectory(dir, "pg").resolve("audit.jsonl");
    try (JsonlAuditSink sink = new JsonlAuditSink(file, 1 << 20, Duration.ofMillis(100))) {
      for (int i = 0; i < n; i++) {
        sink.record(event(i));
      }
      sink.flush().get(60, TimeUnit.SECONDS);
    }
    String table = "mg_bench_" + System.nanoTime() % 1_000_000;
    Vertx vertx = Vertx.vertx();
    try (PostgresAuditStore store = new PostgresAuditStore(vertx,
        new GatewayConfig.Postgres(url, table, "bench", batch, 1000))) {
      long t0 = System.nanoTime();
      try (PostgresReplicator r = new PostgresReplicator(store, file, batch, Duration.ofSeconds(1))) {
        while (r.copiedLines() < n) {
          Thread.sleep(5);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        long rows = store.count().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        if (rows != n) {
          throw new IllegalStateException("table holds " + rows + " rows, expected " + n);
        }
        return n / secs;
      } finally {
        vertx.createSharedWorkerExecutor("drop");
        io.vertx.pgclient.PgBuilder.pool().connectingTo(io.vertx.pgclient.PgConnectOptions.fromUri(url)).using(vertx)
            .build().query("DROP TABLE " + table + "; DROP TABLE " + table + "_cursor").execute()
            .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  public static void main(String[] args) throws Exception {
    String url = args.length > 0 ? args[0] : "postgresql://postgres@127.0.0.1:5432/test";
    Path dir = Files.createTempDirectory("modelguard-audit-bench");
    // Warm-up: JIT the serialisation, hashing and write path.
    jsonl(dir, 50_000, 2, Duration.ofMillis(100));
    System.out.printf("%-52s %12s%n", "measurement", "result");
    for (int run = 1; run <= 3; run++) {
      System.out.printf("%-52s %,12.0f%n", "jsonl events/s (fsync every 100 ms, 4 threads) #" + run,
          jsonl(dir, 200_000, 4, Duration.ofMillis(100)));
    }
    System.out.printf("%-52s %,12.0f%n", "jsonl events/s (fsync after every batch, 4 threads)",
        jsonl(dir, 200_000, 4, Duration.ZERO));
    long[] c = recordCost(dir, 100_000, 20_000);
    System.out.printf("%-52s %12s%n", "record() on the request path, ns p50/p99/p99.9/max",
        c[0] + "/" + c[1] + "/" + c[2] + "/" + c[3]);
    for (int batch : new int[] {100, 500}) {
      System.out.printf("%-52s %,12.0f%n", "postgres copy events/s (batch " + batch + ", 50k events)",
          postgres(dir, url, 50_000, batch));
    }
  }
}

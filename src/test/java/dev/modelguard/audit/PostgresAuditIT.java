package dev.modelguard.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelguard.config.GatewayConfig;
import dev.modelguard.guard.Direction;
import dev.modelguard.policy.Action;
import dev.modelguard.testing.TcpProxy;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PostgreSQL copy of the audit log against the machine's real PostgreSQL (127.0.0.1:5432,
 * database {@code test}): schema, batched inserts, outages (a cut network path, killed backend
 * connections) with replay from the JSONL file, resuming from the cursor, and reading back.
 */
class PostgresAuditIT {
  static final String DB = "postgresql://postgres@127.0.0.1:5432/test";
  static Vertx vertx;
  static Pool admin;

  @TempDir Path dir;
  String table;
  final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeAll
  static void connect() {
    vertx = Vertx.vertx();
    admin = PgBuilder.pool().connectingTo(PgConnectOptions.fromUri(DB)).using(vertx).build();
  }

  @AfterAll
  static void disconnect() throws Exception {
    admin.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @BeforeEach
  void name() {
    table = "mg_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    sql("DROP TABLE IF EXISTS " + table);
    sql("DROP TABLE IF EXISTS " + table + "_cursor");
  }

  static List<Row> sql(String query, Object... params) throws Exception {
    List<Row> rows = new ArrayList<>();
    admin.preparedQuery(query).execute(Tuple.from(params)).toCompletionStage().toCompletableFuture()
        .get(30, TimeUnit.SECONDS).forEach(rows::add);
    return rows;
  }

  long count() throws Exception {
    return sql("SELECT count(*) FROM " + table).get(0).getLong(0);
  }

  static void await(String what, BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(50);
    }
  }

  void awaitCount(long n) throws Exception {
    long[] last = {-1};
    try {
      await("the table holds " + n + " events", () -> {
        try {
          last[0] = count();
          return last[0] == n;
        } catch (Exception e) {
          return false;
        }
      });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + " (it holds " + last[0] + ")");
    }
  }

  GatewayConfig.Postgres config(String url, String instance) {
    return new GatewayConfig.Postgres(url, table, instance, 50, 100);
  }

  <T extends AutoCloseable> T closing(T t) {
    toClose.add(t);
    return t;
  }

  static AuditEvent event(int i) {
    Action[] verdicts = {Action.ALLOW, Action.REDACT, Action.BLOCK, Action.FLAG};
    AuditEvent.Builder b = AuditEvent.builder().ts(Instant.parse("2026-11-29T10:00:00Z").plusSeconds(i * 30L))
        .requestId("req-" + i).tenant(i % 3 == 0 ? null : "team-" + (i % 3)).route(i % 2 == 0 ? "/v1" : "/qwen/v1")
        .policy(i % 5 == 0 ? "strict" : "default").policyVersion("sha256:00").direction(Direction.PROMPT)
        .verdict(verdicts[i % 4]).status(200).latency(1, 2, 3).text("event " + i);
    if (i % 4 == 1) {
      b.category("pii");
    } else if (i % 4 == 2) {
      b.category("secret");
    }
    return b.build();
  }

  static Set<String> fileHashes(Path active) throws Exception {
    Set<String> hashes = new HashSet<>();
    for (Path f : AuditFiles.expand(active)) {
      for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
        hashes.add(HashChain.MAPPER.readTree(line).get("hash").asText());
      }
    }
    return hashes;
  }

  @Test
  void eventsWrittenDuringAnOutageSpillToTheFileAndAreReplayedNoneLostNoneTwice() throws Exception {
    TcpProxy proxy = closing(new TcpProxy(5432));
    String viaProxy = "postgresql://postgres@127.0.0.1:" + proxy.port() + "/test";
    Path file = dir.resolve("audit.jsonl");
    AuditRotationTest.MovableClock clock = new AuditRotationTest.MovableClock(Instant.parse("2026-11-29T10:00:00Z"));
    JsonlAuditSink sink = closing(new JsonlAuditSink(file,
        new JsonlAuditSink.Options(10_000, Duration.ofMillis(10), 16 * 1024, 0), clock, r -> new Thread(r, "w")));
    PostgresAuditStore store = closing(new PostgresAuditStore(vertx, config(viaProxy, "it-a")));
    PostgresReplicator replicator = closing(new PostgresReplicator(store, file, 50, Duration.ofMillis(100)));

    for (int i = 0; i < 200; i++) {
      sink.record(event(i));
    }
    sink.flush().get(10, TimeUnit.SECONDS);
    awaitCount(200);

    proxy.down();
    for (int i = 200; i < 500; i++) {
      sink.record(event(i));
    }
    sink.flush().get(10, TimeUnit.SECONDS);
    await("the replicator notices the outage", () -> replicator.lastError() != null);
    Thread.sleep(300);
    assertEquals(200, count(), "nothing reaches the database during the outage");
    assertTrue(AuditFiles.expand(file).size() > 2, "the spilled events were rotated across files meanwhile");

    proxy.up();
    awaitCount(500);
    await("caught up", replicator::caughtUp);
    assertEquals(fileHashes(file), new HashSet<>(sql("SELECT hash FROM " + table).stream()
        .map(r -> r.getString(0)).toList()), "the table holds exactly the file's lines");
    assertEquals("it-a", sql("SELECT DISTINCT instance FROM " + table).get(0).getString(0));

    // A restart resumes from the cursor: only the new lines are copied.
    replicator.close();
    for (int i = 500; i < 510; i++) {
      sink.record(event(i));
    }
    sink.flush().get(10, TimeUnit.SECONDS);
    PostgresReplicator again = closing(new PostgresReplicator(store, file, 50, Duration.ofMillis(100)));
    awaitCount(510);
    await("caught up", again::caughtUp);
    assertEquals(10, again.copiedLines(), "only lines after the cursor are copied again");
  }

  @Test
  void killedBackendConnectionsAreSurvived() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    JsonlAuditSink sink = closing(new JsonlAuditSink(file));
    PostgresAuditStore store = closing(new PostgresAuditStore(vertx, config(DB, "it-kill-" + table)));
    PostgresReplicator replicator = closing(new PostgresReplicator(store, file, 20, Duration.ofMillis(100)));
    int total = 0;
    int terminated = 0;
    for (int round = 0; round < 5; round++) {
      for (int i = 0; i < 100; i++) {
        sink.record(event(total++));
      }
      sink.flush().get(10, TimeUnit.SECONDS);
      Thread.sleep(20);
      List<Row> killed = sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
          "modelguard-audit it-kill-" + table);
      terminated += (int) killed.stream().filter(r -> r.getBoolean(0)).count();
    }
    assertTrue(terminated > 0, "some of the replicator's connections were killed");
    awaitCount(total);
    await("caught up", replicator::caughtUp);
    assertEquals(fileHashes(file).size(), count());
  }

  @Test
  void readingBackGivesTheSameAnswersAsTheFile() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    JsonlAuditSink sink = closing(new JsonlAuditSink(file));
    PostgresAuditStore store = closing(new PostgresAuditStore(vertx, config(DB, "it-read")));
    closing(new PostgresReplicator(store, file, 500, Duration.ofMillis(100)));
    for (int i = 0; i < 120; i++) {
      sink.record(event(i));
    }
    sink.flush().get(10, TimeUnit.SECONDS);
    awaitCount(120);
    AuditQuery fromFile = new AuditQuery(file);
    AuditQuery fromDb = new AuditQuery(store.source());
    Clock at = Clock.fixed(Instant.parse("2026-11-29T11:00:00Z"), java.time.ZoneOffset.UTC);
    List<AuditQuery.Filter> filters = List.of(
        AuditQuery.Filter.ALL,
        new AuditQuery.Filter(AuditQuery.parseTime("30m", at), null, null, null, null, null, null, null),
        new AuditQuery.Filter(null, AuditQuery.parseTime("40m", at), Action.BLOCK, null, null, null, null, null),
        new AuditQuery.Filter(null, null, null, "pii", "team-1", null, null, null),
        new AuditQuery.Filter(null, null, null, null, null, "/qwen/v1", "strict", null),
        new AuditQuery.Filter(null, null, null, null, null, null, null, "req-77"));
    for (AuditQuery.Filter f : filters) {
      AuditQuery.Page a = fromFile.search(f, 3, 20);
      AuditQuery.Page b = fromDb.search(f, 3, 20);
      assertEquals(a.total(), b.total(), f.toString());
      assertEquals(a.events(), b.events(), f.toString());
      assertEquals(fromFile.stats(f, java.time.temporal.ChronoUnit.HOURS),
          fromDb.stats(f, java.time.temporal.ChronoUnit.HOURS), f.toString());
    }
    assertTrue(sql("SELECT indexname FROM pg_indexes WHERE tablename = $1", table).size() >= 8,
        "the filter columns are indexed");
  }

  @Test
  void theCliReadsTheTable() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    JsonlAuditSink sink = closing(new JsonlAuditSink(file));
    PostgresAuditStore store = closing(new PostgresAuditStore(vertx, config(DB, "it-cli")));
    closing(new PostgresReplicator(store, file, 500, Duration.ofMillis(100)));
    for (int i = 0; i < 40; i++) {
      sink.record(event(i));
    }
    sink.flush().get(10, TimeUnit.SECONDS);
    awaitCount(40);
    java.io.StringWriter out = new java.io.StringWriter();
    java.io.StringWriter err = new java.io.StringWriter();
    picocli.CommandLine cmd = new picocli.CommandLine(new dev.modelguard.cli.AuditCommand());
    cmd.setOut(new java.io.PrintWriter(out, true));
    cmd.setErr(new java.io.PrintWriter(err, true));
    assertEquals(0, cmd.execute("search", "--postgres", DB, "--table", table, "--verdict", "block", "--json"),
        err::toString);
    assertEquals(10, out.toString().strip().split("\n").length, out::toString);
    out.getBuffer().setLength(0);
    assertEquals(0, cmd.execute("stats", "--postgres", DB, "--table", table, "--json"), err::toString);
    assertEquals(40, dev.modelguard.api.Jsons.MAPPER.readTree(out.toString()).get("events").asLong());
    assertEquals(2, cmd.execute("search", "--postgres", DB, "--file", file.toString()));
    assertTrue(err.toString().contains("give exactly one of --file F|DIR or --postgres URL"), err::toString);
  }

  @Test
  void aGatewayWithPostgresCopiesItsLogAndTheAdminApiReadsTheTable() throws Exception {
    Path policies = Files.createDirectories(dir.resolve("policies"));
    try (var shipped = Files.list(Path.of("policies"))) {
      for (Path p : shipped.filter(p -> p.toString().endsWith(".yaml")).toList()) {
        Files.copy(p, policies.resolve(p.getFileName()));
      }
    }
    dev.modelguard.testing.RecordingUpstream upstream = closing(new dev.modelguard.testing.RecordingUpstream(vertx));
    upstream.respondChat("Sure.");
    Path config = dir.resolve("gateway.yaml");
    Files.writeString(config, """
        listen: {host: 127.0.0.1, port: 0}
        policies: policies
        audit:
          path: audit/audit.jsonl
          postgres:
            url: %s
            table: %s
            instance: gw-1
        admin:
          token: t0ken
        upstreams:
          llm: {url: "%s"}
        routes:
          - {path: /v1, upstream: llm, policy: default}
        guard_models: [%s]
        """.formatted(DB, table, upstream.url(), Path.of("guard-models").toAbsolutePath()));
    dev.modelguard.proxy.Gateway gateway = dev.modelguard.proxy.Gateway.start(vertx,
        dev.modelguard.config.GatewayConfigLoader.load(config, java.util.Map.of()));
    closing(gateway::close);
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    String base = "http://127.0.0.1:" + gateway.port();
    for (String text : List.of("hello", "mail me at a@example.com")) {
      http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/v1/chat/completions"))
          .header("Content-Type", "application/json")
          .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
              "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
    }
    // Events are recorded when each exchange ends, just after the client has its answer: wait
    // for all four (prompt and response of each request) in the file, then in the table.
    Path log = dir.resolve("audit/audit.jsonl");
    await("the file holds 4 events", () -> {
      try {
        gateway.audit().flush().get(10, TimeUnit.SECONDS);
        return Files.readAllLines(log).size() == 4;
      } catch (Exception e) {
        return false;
      }
    });
    awaitCount(4);
    String page = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base
            + "/admin/api/audit?category=pii")).header("Authorization", "Bearer t0ken").build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    assertEquals(1, dev.modelguard.api.Jsons.MAPPER.readTree(page).get("total").asLong(), page);
    assertEquals("gw-1", sql("SELECT DISTINCT instance FROM " + table).get(0).getString(0));
    String metrics = gateway.metrics().scrape();
    assertTrue(metrics.contains("\nmodelguard_audit_postgres_copied_total 4"), metrics);
    assertTrue(metrics.contains("\nmodelguard_audit_postgres_up 1"), metrics);
  }
}

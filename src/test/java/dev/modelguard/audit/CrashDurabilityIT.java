package dev.modelguard.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real gateway ({@code serve}) as a child process under concurrent load, kills it with
 * SIGKILL, and checks that every event acknowledged before the last fsync window is in the log and
 * that the chain verifies (a torn last line is moved aside on the next open).
 */
class CrashDurabilityIT {
  private static final long FSYNC_MS = 100;
  /**
   * Time an acknowledged request's event may still be in flight when the process dies: one fsync
   * window plus scheduling slack on a shared two-core machine. kill -9 keeps the page cache, so in
   * practice only the queue and the writer's buffer are at risk.
   */
  private static final long WINDOW_MS = FSYNC_MS + 400;

  @TempDir Path dir;
  private HttpServer upstream;
  private Process gateway;

  @AfterEach
  void stop() {
    if (gateway != null) {
      gateway.destroyForcibly();
    }
    if (upstream != null) {
      upstream.stop(0);
    }
  }

  @Test
  void everyEventAcknowledgedBeforeTheLastFsyncWindowSurvivesKillNine() throws Exception {
    upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    upstream.setExecutor(Executors.newFixedThreadPool(4));
    upstream.createContext("/", exchange -> {
      exchange.getRequestBody().readAllBytes();
      byte[] body = """
          {"id":"c1","object":"chat.completion","model":"m","choices":[{"index":0,"message":
          {"role":"assistant","content":"fine"},"finish_reason":"stop"}]}""".getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    upstream.start();

    Path policies = Files.createDirectories(dir.resolve("policies"));
    try (Stream<Path> shipped = Files.list(Path.of("policies"))) {
      for (Path p : shipped.filter(p -> p.toString().endsWith(".yaml")).toList()) {
        Files.copy(p, policies.resolve(p.getFileName()));
      }
    }
    Path config = dir.resolve("gateway.yaml");
    Files.writeString(config, """
        listen: {host: 127.0.0.1, port: 0}
        policies: policies
        audit:
          path: audit/audit.jsonl
          fsync_interval_ms: %d
        upstreams:
          llm: {url: "http://127.0.0.1:%d"}
        routes:
          - {path: /v1, upstream: llm, policy: default}
        guard_models: [%s]
        """.formatted(FSYNC_MS, upstream.getAddress().getPort(), Path.of("guard-models").toAbsolutePath()));
    Path auditFile = dir.resolve("audit/audit.jsonl");

    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    gateway = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", classpath, "dev.modelguard.Main", "serve", "--config", config.toString())
        .redirectErrorStream(true).start();
    int port = awaitPort(gateway);

    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    Map<String, Long> acked = new ConcurrentHashMap<>();
    AtomicBoolean running = new AtomicBoolean(true);
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch done = new CountDownLatch(threads);
    for (int t = 0; t < threads; t++) {
      int thread = t;
      pool.submit(() -> {
        try {
          for (int i = 0; running.get(); i++) {
            String body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"t" + thread + " n" + i
                + " mail a" + i + "@example.com\"}]}";
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .timeout(Duration.ofSeconds(5)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            try {
              HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
              long at = System.nanoTime();
              r.headers().firstValue("x-modelguard-request-id").ifPresent(id -> acked.put(id, at));
            } catch (IOException e) {
              return; // the gateway is gone
            }
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          done.countDown();
        }
      });
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (acked.size() < 400 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    long killedAt = System.nanoTime();
    gateway.destroyForcibly();
    gateway.waitFor(10, TimeUnit.SECONDS);
    running.set(false);
    done.await(20, TimeUnit.SECONDS);
    pool.shutdownNow();
    assertTrue(acked.size() >= 400, "only " + acked.size() + " requests were answered");

    AuditVerifier.Result afterKill = new AuditVerifier().verify(auditFile);
    assertTrue(afterKill.ok(), afterKill::describe);
    // The same through the command line, on the log's directory; a torn tail is reported, not fatal.
    java.io.StringWriter verifyOut = new java.io.StringWriter();
    picocli.CommandLine verify = new picocli.CommandLine(new dev.modelguard.cli.AuditCommand());
    verify.setOut(new java.io.PrintWriter(verifyOut, true));
    assertEquals(0, verify.execute("verify", auditFile.getParent().toString()), verifyOut::toString);
    assertTrue(verifyOut.toString().contains("chain intact"), verifyOut::toString);
    assertEquals(afterKill.tornBytes() > 0, verifyOut.toString().contains("WARNING: the last line is torn"),
        verifyOut::toString);

    Set<String> onDisk = new HashSet<>();
    for (String line : Files.readAllLines(auditFile, StandardCharsets.UTF_8)) {
      if (line.endsWith("}")) {
        try {
          JsonNode n = HashChain.MAPPER.readTree(line);
          onDisk.add(n.get("request_id").asText());
        } catch (IOException torn) {
          // the torn last line, reported by the verifier above
        }
      }
    }
    long cutoff = killedAt - TimeUnit.MILLISECONDS.toNanos(WINDOW_MS);
    List<String> missing = new ArrayList<>();
    int mustSurvive = 0;
    for (Map.Entry<String, Long> e : acked.entrySet()) {
      if (e.getValue() < cutoff) {
        mustSurvive++;
        if (!onDisk.contains(e.getKey())) {
          missing.add(e.getKey());
        }
      }
    }
    assertTrue(mustSurvive > 100, "too few requests before the window: " + mustSurvive);
    assertEquals(List.of(), missing, missing.size() + " of " + mustSurvive + " acknowledged events are missing");

    // Reopening continues the chain (moving a torn tail aside if the kill cut a line).
    try (JsonlAuditSink sink = new JsonlAuditSink(auditFile)) {
      sink.record(TestEvents.event("after-restart"));
    }
    AuditVerifier.Result reopened = new AuditVerifier().verify(auditFile);
    assertTrue(reopened.ok() && reopened.tornBytes() == 0, reopened::describe);
    assertEquals(afterKill.linesVerified() + 1, reopened.linesVerified());
  }

  /** Reads the child's output until it prints its port; keeps draining it so the child never blocks. */
  private static int awaitPort(Process p) throws Exception {
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    Pattern listening = Pattern.compile("modelguard listening on http://[^:]+:(\\d+)");
    StringBuilder seen = new StringBuilder();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    String line;
    while (System.nanoTime() < deadline && (line = out.readLine()) != null) {
      seen.append(line).append('\n');
      Matcher m = listening.matcher(line);
      if (m.find()) {
        Thread drain = new Thread(() -> {
          try {
            while (out.readLine() != null) {
              // discard
            }
          } catch (IOException ignored) {
            // the child is gone
          }
        }, "gateway-output");
        drain.setDaemon(true);
        drain.start();
        return Integer.parseInt(m.group(1));
      }
    }
    throw new AssertionError("gateway did not start:\n" + seen);
  }
}

package dev.modelguard.bench;

import dev.modelguard.config.GatewayConfig;
import dev.modelguard.config.GatewayConfigLoader;
import dev.modelguard.demo.MockLlm;
import dev.modelguard.proxy.Gateway;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Policy reloads under load (issue 6): while 8 clients send requests in a loop, a policy file is
 * edited 100 times; each edit's time to take effect is measured (by the verdict it changes), and
 * every request that did not get its expected answer counts as failed.
 *
 * <pre>
 * mvn -B -q -o test-compile dependency:build-classpath -Dmdep.outputFile=cp.txt
 * java -cp target/classes:target/test-classes:$(cat cp.txt) dev.modelguard.bench.ReloadBench [EDITS]
 * </pre>
 */
public final class ReloadBench {
  private static final String KEY = "AKIAIOSFODNN7EXAMPLE";

  public static void main(String[] args) throws Exception {
    int edits = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    Vertx vertx = Vertx.vertx();
    MockLlm mock = new MockLlm(vertx);
    mock.start("127.0.0.1", 0).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    Path dir = Files.createTempDirectory("modelguard-reload");
    Path policies = Files.createDirectories(dir.resolve("policies"));
    try (Stream<Path> shipped = Files.list(Path.of("policies"))) {
      for (Path p : shipped.filter(p -> p.toString().endsWith(".yaml")).toList()) {
        Files.copy(p, policies.resolve(p.getFileName()));
      }
    }
    Path edited = policies.resolve("edited.yaml");
    Files.writeString(edited, policy("flag", 0));
    Files.writeString(dir.resolve("gateway.yaml"), """
        listen: {host: 127.0.0.1, port: 0}
        policies: policies
        audit: {path: audit.jsonl}
        upstreams:
          mock: {url: "http://127.0.0.1:%d"}
        routes:
          - {path: /v1, upstream: mock, policy: default}
          - {path: /edit/v1, upstream: mock, policy: edited, strip_prefix: /edit}
        guard_models: [%s]
        """.formatted(mock.port(), Path.of("guard-models").toAbsolutePath()));
    GatewayConfig config = GatewayConfigLoader.load(dir.resolve("gateway.yaml"), Map.of());
    Gateway gateway = Gateway.start(vertx, config);
    String base = "http://127.0.0.1:" + gateway.port();
    HttpClient http = HttpClient.newHttpClient();

    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong sent = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    ExecutorService load = Executors.newFixedThreadPool(8);
    for (int i = 0; i < 8; i++) {
      int client = i;
      load.submit(() -> {
        while (running.get()) {
          try {
            HttpResponse<String> r = http.send(chat(base + "/v1/chat/completions", "hello from client " + client),
                HttpResponse.BodyHandlers.ofString());
            sent.incrementAndGet();
            if (r.statusCode() != 200) {
              failed.incrementAndGet();
            }
          } catch (Exception e) {
            failed.incrementAndGet();
          }
        }
        return null;
      });
    }
    double[] effect = new double[edits];
    for (int i = 0; i < edits; i++) {
      String action = i % 2 == 0 ? "block" : "flag";
      int expected = action.equals("block") ? 400 : 200;
      long t0 = System.nanoTime();
      Files.writeString(edited, policy(action, i + 1));
      while (http.send(chat(base + "/edit/v1/chat/completions", "key " + KEY), HttpResponse.BodyHandlers.ofString())
          .statusCode() != expected) {
        Thread.sleep(5);
        if (System.nanoTime() - t0 > 10_000_000_000L) {
          throw new AssertionError("edit " + i + " did not take effect in 10 s");
        }
      }
      effect[i] = (System.nanoTime() - t0) / 1e6;
    }
    running.set(false);
    load.shutdown();
    load.awaitTermination(30, TimeUnit.SECONDS);
    Arrays.sort(effect);
    System.out.printf("%d policy edits under load (8 clients): time to take effect p50 %.0f ms, p99 %.0f ms, max %.0f ms;"
        + " %d requests during the edits, %d failed; reloads %d, refused %d%n", edits, effect[edits / 2],
        effect[Math.min(edits - 1, (int) (edits * 0.99))], effect[edits - 1], sent.get(), failed.get(),
        gateway.livePolicies().status().reloads(), gateway.livePolicies().status().failedReloads());
    gateway.close();
    vertx.close();
  }

  private static String policy(String action, int revision) {
    return "version: 1\nname: edited\n# revision " + revision + "\nprompt:\n  - guard: secrets\n    action: " + action + "\n";
  }

  private static HttpRequest chat(String url, String text) {
    return HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"mock-1\",\"messages\":[{\"role\":\"user\",\"content\":\""
            + text + "\"}]}")).build();
  }

  private ReloadBench() {}
}

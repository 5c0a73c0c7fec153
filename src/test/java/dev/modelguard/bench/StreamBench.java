package dev.modelguard.bench;

import dev.modelguard.config.GatewayConfig;
import dev.modelguard.config.GatewayConfigLoader;
import dev.modelguard.demo.MockLlm;
import dev.modelguard.proxy.Gateway;
import io.vertx.core.Vertx;
import io.vertx.core.json.Json;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Streaming and multi-turn benchmark (issue 5): time to first token and total time of a 500-word
 * stream through the gateway vs. directly from the mock LLM, and the turn-21 / turn-1 latency of a
 * conversation whose history is resent every turn. Everything runs in this JVM on loopback.
 *
 * <pre>
 * mvn -B -q -o test-compile dependency:build-classpath -Dmdep.outputFile=cp.txt
 * java -cp target/classes:target/test-classes:$(cat cp.txt) dev.modelguard.bench.StreamBench [CHUNK_DELAY_MS] [RUNS]
 * </pre>
 */
public final class StreamBench {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  public static void main(String[] args) throws Exception {
    long delay = args.length > 0 ? Long.parseLong(args[0]) : 5;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    Vertx vertx = Vertx.vertx();
    MockLlm mock = new MockLlm(vertx, delay);
    mock.start("127.0.0.1", 0).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    Path dir = Files.createTempDirectory("modelguard-bench");
    Files.writeString(dir.resolve("gateway.yaml"), """
        listen: {host: 127.0.0.1, port: 0}
        policies: %s
        audit: {path: audit.jsonl}
        upstreams:
          mock: {url: "http://127.0.0.1:%d"}
        routes:
          - {path: /v1, upstream: mock, policy: default}
        guard_models: [%s]
        """.formatted(Path.of("policies").toAbsolutePath(), mock.port(), Path.of("guard-models").toAbsolutePath()));
    GatewayConfig config = GatewayConfigLoader.load(dir.resolve("gateway.yaml"), Map.of());
    Gateway gateway = Gateway.start(vertx, config);
    String direct = "http://127.0.0.1:" + mock.port() + "/v1/chat/completions";
    String guarded = "http://127.0.0.1:" + gateway.port() + "/v1/chat/completions";
    int holdBack = gateway.policies().get("default").orElseThrow().streaming().holdBackChars();

    stream(direct);
    stream(guarded);
    double[][] d = new double[runs][];
    double[][] g = new double[runs][];
    for (int i = 0; i < runs; i++) {
      d[i] = stream(direct);
      g[i] = stream(guarded);
    }
    double dTtft = median(d, 0);
    double gTtft = median(g, 0);
    double dTotal = median(d, 1);
    double gTotal = median(g, 1);
    double window = Math.ceil(holdBack / 6.0) * delay;
    System.out.printf("500-word stream, %d ms between 6-character chunks, %d runs (median):%n", delay, runs);
    System.out.printf("  direct : first token %8.1f ms, total %8.1f ms%n", dTtft, dTotal);
    System.out.printf("  gateway: first token %8.1f ms, total %8.1f ms%n", gTtft, gTotal);
    System.out.printf("  first-token delay %.1f ms (hold-back window: %d chars = %.0f ms of stream); total overhead %.2f %%%n",
        gTtft - dTtft, holdBack, window, 100 * (gTotal - dTotal) / dTotal);

    int conversations = 20;
    double[] turn1 = new double[conversations];
    double[] turn21 = new double[conversations];
    for (int c = 0; c < conversations + 3; c++) {
      double[] t = conversation(guarded, 21);
      if (c >= 3) {
        turn1[c - 3] = t[0];
        turn21[c - 3] = t[20];
      }
    }
    Arrays.sort(turn1);
    Arrays.sort(turn21);
    double m1 = turn1[conversations / 2];
    double m21 = turn21[conversations / 2];
    System.out.printf("conversation through the gateway, %d conversations (median): turn 1 %.2f ms (2 messages),"
        + " turn 21 %.2f ms (42 messages): ratio %.2f%n", conversations, m1, m21, m21 / m1);
    gateway.close();
    vertx.close();
  }

  /** {time to first content chunk, total} in ms. */
  private static double[] stream(String url) throws Exception {
    String body = "{\"model\":\"mock-1\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"write 500 words\"}]}";
    HttpRequest req = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    long t0 = System.nanoTime();
    HttpResponse<java.io.InputStream> r = HTTP.send(req, HttpResponse.BodyHandlers.ofInputStream());
    double first = -1;
    try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (first < 0 && line.contains("\"content\"")) {
          first = (System.nanoTime() - t0) / 1e6;
        }
      }
    }
    return new double[] {first, (System.nanoTime() - t0) / 1e6};
  }

  /** Latency of each turn of a conversation that resends its history, in ms. */
  private static double[] conversation(String url, int turns) throws Exception {
    String topic = UUID.randomUUID().toString();
    List<String> messages = new ArrayList<>();
    messages.add("{\"role\":\"system\",\"content\":\"You are a patient travel agent. Conversation " + topic + ".\"}");
    double[] latency = new double[turns];
    for (int t = 0; t < turns; t++) {
      messages.add("{\"role\":\"user\",\"content\":" + Json.encode("Question " + t + " about " + topic
          + ": which quiet town near Lisbon should I visit next, and why?") + "}");
      String body = "{\"model\":\"mock-1\",\"messages\":[" + String.join(",", messages) + "]}";
      HttpRequest req = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body)).build();
      long t0 = System.nanoTime();
      HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
      latency[t] = (System.nanoTime() - t0) / 1e6;
      String answer = Json.decodeValue(r.body(), io.vertx.core.json.JsonObject.class)
          .getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content");
      messages.add("{\"role\":\"assistant\",\"content\":" + Json.encode(answer) + "}");
    }
    return latency;
  }

  private static double median(double[][] rows, int col) {
    double[] v = Arrays.stream(rows).mapToDouble(r -> r[col]).sorted().toArray();
    return v[v.length / 2];
  }

  private StreamBench() {}
}

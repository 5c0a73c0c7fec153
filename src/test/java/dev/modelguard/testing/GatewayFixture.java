package dev.modelguard.testing;

import dev.modelguard.config.GatewayConfig;
import dev.modelguard.config.GatewayConfigLoader;
import dev.modelguard.proxy.Gateway;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The real gateway, started from a real config file in a temporary directory with the shipped
 * policies copied next to it, in front of a {@link RecordingUpstream}. Requests are sent with the
 * JDK's HTTP client from the test thread.
 */
public final class GatewayFixture implements AutoCloseable {
  public final RecordingUpstream upstream;
  public final Gateway gateway;
  public final Path dir;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /**
   * @param extraPolicies file name to YAML text, written beside the shipped policies
   * @param routesYaml the {@code routes:} list (use {@code llm} for the recording upstream and
   *     {@code dead} for a port nothing listens on)
   */
  public GatewayFixture(Vertx vertx, Path dir, Map<String, String> extraPolicies, String routesYaml) throws Exception {
    this(vertx, dir, extraPolicies, routesYaml, "");
  }

  /**
   * As above, with {@code extraYaml} (top-level keys such as {@code admin:}) appended to the config.
   */
  public GatewayFixture(Vertx vertx, Path dir, Map<String, String> extraPolicies, String routesYaml, String extraYaml)
      throws Exception {
    this.dir = dir;
    this.upstream = new RecordingUpstream(vertx);
    Path policies = Files.createDirectories(dir.resolve("policies"));
    try (Stream<Path> shipped = Files.list(Path.of("policies"))) {
      for (Path p : shipped.filter(p -> p.toString().endsWith(".yaml")).toList()) {
        Files.copy(p, policies.resolve(p.getFileName()));
      }
    }
    for (Map.Entry<String, String> e : extraPolicies.entrySet()) {
      Files.writeString(policies.resolve(e.getKey()), e.getValue());
    }
    String yaml = """
        listen:
          host: 127.0.0.1
          port: 0
          max_body_bytes: 65536
        policies: policies
        audit:
          path: audit/audit.jsonl
        upstreams:
          llm:
            url: ${UPSTREAM}
            headers:
              Authorization: Bearer upstream-credential
            timeout_ms: 1500
          dead:
            url: http://127.0.0.1:9
            connect_timeout_ms: 1000
        guard_models:
          - ${GUARD_MODELS}
        routes:
        """ + routesYaml + (extraYaml.isEmpty() ? "" : "\n" + extraYaml);
    Path config = dir.resolve("gateway.yaml");
    Files.writeString(config, yaml);
    Map<String, String> env = Map.of("UPSTREAM", upstream.url(),
        "GUARD_MODELS", Path.of("guard-models").toAbsolutePath().toString());
    GatewayConfig cfg = GatewayConfigLoader.load(config, env);
    this.gateway = Gateway.start(vertx, cfg, config, env);
  }

  public String base() {
    return "http://127.0.0.1:" + gateway.port();
  }

  /** The directory the gateway reads its policies from (edit files here to test reloads). */
  public Path policiesDir() {
    return dir.resolve("policies");
  }

  /** The gateway's configuration file (edit it to test live configuration changes). */
  public Path configFile() {
    return dir.resolve("gateway.yaml");
  }

  public Path auditFile() {
    return dir.resolve("audit/audit.jsonl");
  }

  public HttpResponse<String> post(String path, String contentType, String body) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(20))
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  public HttpResponse<String> postJson(String path, String body) throws IOException, InterruptedException {
    return post(path, "application/json", body);
  }

  public HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** Waits until every audit event recorded so far is on disk. */
  public void flushAudit() throws Exception {
    gateway.audit().flush().get(10, java.util.concurrent.TimeUnit.SECONDS);
  }

  /**
   * The audit line of one request and direction. The event is recorded right after the response
   * is written, so a client can see the answer a moment before the line exists: poll for it.
   */
  public String awaitAuditLine(String requestId, String direction) throws Exception {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (true) {
      flushAudit();
      for (String line : Files.readAllLines(auditFile())) {
        if (line.contains("\"request_id\":\"" + requestId + "\"") && line.contains("\"direction\":\"" + direction + "\"")) {
          return line;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no audit event for request " + requestId + " (" + direction + ")");
      }
      Thread.sleep(20);
    }
  }

  @Override
  public void close() throws Exception {
    gateway.close();
    upstream.close();
  }
}

package dev.modelguard.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelguard.api.Jsons;
import dev.modelguard.testing.GatewayFixture;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Live policy edits, tenants and their keys, and per-key rate limits, through the real gateway. */
@ExtendWith(VertxExtension.class)
class PolicyLifecycleIT {
  private static final String AWS_KEY = "AKIAIOSFODNN7EXAMPLE";
  private static final String TEAM_A = "team-a-secret-gateway-key";
  private static final String TEAM_B = "team-b-secret-gateway-key";
  private static final String LIMITED = "limited-gateway-key";
  private static GatewayFixture fx;

  @TempDir
  static Path dir;

  @BeforeAll
  static void start(Vertx vertx) throws Exception {
    fx = new GatewayFixture(vertx, dir, Map.of("editable.yaml", editable("flag")), """
          - path: /v1
            upstream: llm
            policy: default
          - path: /edit/v1
            upstream: llm
            policy: editable
            strip_prefix: /edit
        """, """
        tenants:
          require_key: true
          keys:
            - key: %s
              tenant: team-a
              policy: strict
            - sha256: %s
              tenant: team-b
            - key: %s
              tenant: limited
              rate_limit:
                requests_per_minute: 3
        """.formatted(TEAM_A, dev.modelguard.config.GatewayConfig.TenantKey.sha256Hex(TEAM_B), LIMITED));
  }

  @AfterAll
  static void stop() throws Exception {
    fx.close();
  }

  @BeforeEach
  void reset() {
    fx.upstream.reset();
  }

  private static String editable(String secretAction) {
    return "version: 1\nname: editable\nprompt:\n  - guard: secrets\n    action: " + secretAction + "\n";
  }

  private static HttpResponse<String> chat(String path, String key, String text) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(fx.base() + path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
            + io.vertx.core.json.Json.encode(text) + "}]}"));
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return fx.send(b.build());
  }

  private static JsonNode error(HttpResponse<String> r) throws Exception {
    return Jsons.MAPPER.readTree(r.body()).path("error");
  }

  @Test
  void missingOrUnknownKeyIs401AndNeverReachesTheUpstream() throws Exception {
    HttpResponse<String> r = chat("/v1/chat/completions", null, "hi");
    assertEquals(401, r.statusCode());
    assertEquals("invalid_api_key", error(r).path("code").asText());
    r = chat("/v1/chat/completions", "not-a-known-key", "hi");
    assertEquals(401, r.statusCode());
    assertFalse(r.body().contains("not-a-known-key"));
    assertTrue(fx.upstream.received().isEmpty());
  }

  @Test
  void theClientsKeyNeverReachesTheUpstream() throws Exception {
    HttpRequest req = HttpRequest.newBuilder(URI.create(fx.base() + "/v1/chat/completions"))
        .header("Content-Type", "application/json").header("x-api-key", TEAM_B)
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
        .build();
    assertEquals(200, fx.send(req).statusCode());
    var got = fx.upstream.last();
    assertEquals("Bearer upstream-credential", got.headers().get("Authorization"));
    assertEquals(null, got.headers().get("x-api-key"));
    assertFalse(got.headers().toString().contains(TEAM_B));
    String line = fx.awaitAuditLine(fx.send(req).headers().firstValue(ProxyHandler.REQUEST_ID_HEADER).orElseThrow(),
        "prompt");
    assertTrue(line.contains("\"tenant\":\"team-b\""), line);
    assertFalse(Files.readString(fx.auditFile()).contains(TEAM_B), "a gateway key was written to the audit log");
  }

  @Test
  void aTenantsPolicyOverridesTheRoutes() throws Exception {
    HttpResponse<String> a = chat("/v1/chat/completions", TEAM_A, "deploy with " + AWS_KEY);
    assertEquals(400, a.statusCode());
    assertEquals("Request blocked by policy 'strict': secret", error(a).path("message").asText());
    HttpResponse<String> b = chat("/v1/chat/completions", TEAM_B, "deploy with " + AWS_KEY);
    assertEquals(200, b.statusCode());
    assertEquals("redact", b.headers().firstValue(ProxyHandler.VERDICT_HEADER).orElseThrow());
  }

  @Test
  void perKeyRateLimitAnswers429WithRetryAfter() throws Exception {
    if (LocalTime.now().getSecond() >= 55) {
      Thread.sleep((61 - LocalTime.now().getSecond()) * 1000L); // keep the four requests in one window
    }
    for (int i = 0; i < 3; i++) {
      assertEquals(200, chat("/v1/chat/completions", LIMITED, "hello " + i).statusCode());
    }
    HttpResponse<String> r = chat("/v1/chat/completions", LIMITED, "one too many");
    assertEquals(429, r.statusCode());
    assertEquals("rate_limit_exceeded", error(r).path("code").asText());
    long retry = Long.parseLong(r.headers().firstValue("retry-after").orElseThrow());
    assertTrue(retry >= 1 && retry <= 60, "retry-after " + retry);
    assertEquals(3, fx.upstream.received().size());
    assertEquals(200, chat("/v1/chat/completions", TEAM_B, "another tenant is not limited").statusCode());
  }

  @Test
  void validEditIsLiveWithinTwoSecondsAndABrokenEditIsRefused() throws Exception {
    Path file = fx.policiesDir().resolve("editable.yaml");
    assertEquals("flag", chat("/edit/v1/chat/completions", TEAM_B, "key " + AWS_KEY).headers()
        .firstValue(ProxyHandler.VERDICT_HEADER).orElseThrow());

    long t0 = System.nanoTime();
    Files.writeString(file, editable("block"));
    awaitStatus(400, "key " + AWS_KEY);
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertTrue(seconds <= 2.0, "a valid edit took " + seconds + " s to take effect");

    Files.writeString(file, "version: 1\nname: editable\nprompt:\n  - guard: secrets\n    action: explode\n");
    Thread.sleep(1500);
    HttpResponse<String> still = chat("/edit/v1/chat/completions", TEAM_B, "key " + AWS_KEY);
    assertEquals(400, still.statusCode(), "the last good version must keep serving");
    var status = fx.gateway.livePolicies().status();
    assertEquals(1, status.lastError().size(), status.lastError().toString());
    assertTrue(status.lastError().get(0).contains("editable.yaml:5:"), status.lastError().get(0));
    assertTrue(status.lastError().get(0).contains("action"), status.lastError().get(0));
    var http = java.net.http.HttpClient.newHttpClient();
    assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(fx.base() + "/health/ready")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode());

    Files.writeString(file, editable("flag"));
    awaitStatus(200, "key " + AWS_KEY);
  }

  @Test
  void routesAndTenantsApplyLiveFromGatewayYamlAndABrokenEditIsRefused() throws Exception {
    String original = Files.readString(fx.configFile());
    assertEquals(404, chat("/late/v1/chat/completions", TEAM_B, "hi").statusCode());
    String lateRoute = "  - path: /late/v1\n    upstream: llm\n    policy: strict\n    strip_prefix: /late\n";
    try {
      Files.writeString(fx.configFile(), original.replace("routes:\n", "routes:\n" + lateRoute));
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (chat("/late/v1/chat/completions", TEAM_B, "hi").statusCode() != 200) {
        assertTrue(System.nanoTime() < deadline, "the new route did not apply within 5 s");
        Thread.sleep(50);
      }
      assertEquals(400, chat("/late/v1/chat/completions", TEAM_B, "key " + AWS_KEY).statusCode());

      Files.writeString(fx.configFile(), original.replace("routes:\n", "routes:\n" + lateRoute
          + "  - path: /x\n    upstreem: llm\n"));
      Thread.sleep(1500);
      assertEquals(200, chat("/late/v1/chat/completions", TEAM_B, "hi").statusCode(), "the last good config must serve");
      assertTrue(fx.gateway.liveConfig().lastError().get(0).contains("upstreem"),
          fx.gateway.liveConfig().lastError().toString());
    } finally {
      Files.writeString(fx.configFile(), original);
    }
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (chat("/late/v1/chat/completions", TEAM_B, "hi").statusCode() != 404) {
      assertTrue(System.nanoTime() < deadline, "restoring the file did not apply within 5 s");
      Thread.sleep(50);
    }
  }

  private static void awaitStatus(int status, String text) throws Exception {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (chat("/edit/v1/chat/completions", TEAM_B, text).statusCode() != status) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the policy edit did not take effect within 5 s");
      }
      Thread.sleep(50);
    }
  }
}

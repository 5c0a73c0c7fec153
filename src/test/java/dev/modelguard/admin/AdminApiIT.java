package dev.modelguard.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelguard.api.Jsons;
import dev.modelguard.testing.GatewayFixture;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The admin API of a real gateway, reading the audit log the gateway wrote. */
@ExtendWith(VertxExtension.class)
class AdminApiIT {
  static final String TOKEN = "admin-s3cret";
  static final String AWS_KEY = "AKIAIOSFODNN7EXAMPLE";
  static GatewayFixture fx;
  static String blockedId;
  static String redactedId;

  @TempDir static Path dir;

  @BeforeAll
  static void start(Vertx vertx) throws Exception {
    fx = new GatewayFixture(vertx, dir, Map.of(), """
          - path: /v1
            upstream: llm
            policy: default
          - path: /strict/v1
            upstream: llm
            policy: strict
            strip_prefix: /strict
        """, "admin:\n  token: " + TOKEN + "\n");
    fx.upstream.respondChat("Sure.");
    fx.postJson("/v1/chat/completions", chat("Suggest a name for a bakery"));
    redactedId = fx.postJson("/v1/chat/completions", chat("Write to jane.doe@example.com today"))
        .headers().firstValue("x-modelguard-request-id").orElseThrow();
    blockedId = fx.postJson("/strict/v1/chat/completions", chat("deploy with key " + AWS_KEY + " now"))
        .headers().firstValue("x-modelguard-request-id").orElseThrow();
    fx.flushAudit();
  }

  @AfterAll
  static void stop() throws Exception {
    fx.close();
  }

  static String chat(String text) {
    return "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":" + io.vertx.core.json.Json.encode(text) + "}]}";
  }

  static HttpResponse<String> get(String pathAndQuery, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(fx.base() + pathAndQuery)).GET();
    if (token != null) {
      b.header("Authorization", token);
    }
    return fx.send(b.build());
  }

  static JsonNode ok(String pathAndQuery) throws Exception {
    HttpResponse<String> r = get(pathAndQuery, "Bearer " + TOKEN);
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("application/json", r.headers().firstValue("Content-Type").orElseThrow());
    return Jsons.MAPPER.readTree(r.body());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      no header          | ''
      wrong token        | Bearer admin-s3creT
      token prefix only  | Bearer admin
      longer token       | Bearer admin-s3cret-and-more
      wrong scheme       | Basic admin-s3cret
      """)
  void missingOrWrongTokenIs401InTheErrorShape(String name, String header) throws Exception {
    HttpResponse<String> r = get("/admin/api/audit", header.isEmpty() ? null : header);
    assertEquals(401, r.statusCode(), r.body());
    JsonNode error = Jsons.MAPPER.readTree(r.body()).path("error");
    assertEquals("authentication_error", error.path("type").asText());
    assertEquals("invalid_admin_token", error.path("code").asText());
    assertTrue(error.has("param") && error.has("request_id"), r.body());
    assertTrue(r.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
  }

  @Test
  void searchFiltersAndPagesNewestFirst() throws Exception {
    JsonNode all = ok("/admin/api/audit");
    assertTrue(all.path("total").asLong() >= 5, all.toString());
    JsonNode blocked = ok("/admin/api/audit?verdict=block");
    assertEquals(1, blocked.path("total").asLong(), blocked.toString());
    JsonNode event = blocked.path("events").get(0);
    assertEquals(blockedId, event.path("request_id").asText());
    assertEquals("strict", event.path("policy").asText());
    assertEquals("[\"secret\"]", event.path("categories").toString());
    assertTrue(!event.path("text").asText().contains(AWS_KEY), "stored text is redacted: " + event);

    assertEquals(1, ok("/admin/api/audit?category=pii&route=/v1&policy=default&since=1h").path("total").asLong());
    assertEquals(0, ok("/admin/api/audit?until=2000-01-01").path("total").asLong());
    assertEquals(1, ok("/admin/api/audit?request_id=" + blockedId).path("total").asLong());
    assertEquals(0, ok("/admin/api/audit?tenant=team-x").path("total").asLong());
    JsonNode page = ok("/admin/api/audit?limit=1&offset=1");
    assertEquals(1, page.path("events").size());
    assertEquals(1, page.path("offset").asInt());
    assertEquals(all.path("events").get(1), page.path("events").get(0));
  }

  @Test
  void oneRequestsEventsOldestFirst() throws Exception {
    JsonNode r = ok("/admin/api/audit/" + redactedId);
    assertEquals(redactedId, r.path("request_id").asText());
    assertEquals("prompt", r.path("events").get(0).path("direction").asText());
    JsonNode f = r.path("events").get(0).path("findings").get(0);
    String text = r.path("events").get(0).path("text").asText();
    assertEquals("[EMAIL_1]", text.substring(f.path("start").asInt(), f.path("end").asInt()));

    HttpResponse<String> missing = get("/admin/api/audit/no-such-request", "Bearer " + TOKEN);
    assertEquals(404, missing.statusCode());
    assertEquals("not_found", Jsons.MAPPER.readTree(missing.body()).path("error").path("code").asText());
  }

  @Test
  void statsAndPolicies() throws Exception {
    JsonNode stats = ok("/admin/api/stats?by=day");
    assertTrue(stats.path("by_verdict").path("block").asLong() == 1, stats.toString());
    assertTrue(stats.path("by_category").path("pii").asLong() >= 1, stats.toString());
    assertEquals(1, stats.path("buckets").size());

    JsonNode policies = ok("/admin/api/policies");
    assertTrue(policies.has("lastError") && policies.get("lastError").isNull(), policies.toString());
    boolean sawStrict = false;
    for (JsonNode p : policies.path("policies")) {
      assertTrue(p.path("version").asText().startsWith("sha256:"), p.toString());
      sawStrict |= p.path("name").asText().equals("strict");
    }
    assertTrue(sawStrict, policies.toString());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      bad verdict  | /admin/api/audit?verdict=deny  | 'verdict: ''deny'' is not one of allow, flag, redact, block'
      bad limit    | /admin/api/audit?limit=5000    | 'limit: must be in [0, 1000], was 5000'
      bad since    | /admin/api/stats?since=soon    | 'since: ''soon'' is not a time'
      bad bucket   | /admin/api/stats?by=week       | 'by: ''week'' is not hour or day'
      """)
  void badParametersAre400NamingTheParameter(String name, String path, String message) throws Exception {
    HttpResponse<String> r = get(path, "Bearer " + TOKEN);
    assertEquals(400, r.statusCode(), r.body());
    JsonNode error = Jsons.MAPPER.readTree(r.body()).path("error");
    assertEquals("invalid_request_error", error.path("type").asText());
    assertTrue(error.path("message").asText().startsWith(message), r.body());
  }

  @Test
  void consoleIsServedFromTheClasspathWithoutExternalResources() throws Exception {
    HttpResponse<String> redirect = get("/admin", null);
    assertEquals(302, redirect.statusCode());
    assertEquals("/admin/", redirect.headers().firstValue("Location").orElseThrow());
    HttpResponse<String> index = get("/admin/", null);
    assertEquals(200, index.statusCode());
    assertTrue(index.headers().firstValue("Content-Type").orElseThrow().startsWith("text/html"));
    assertTrue(index.headers().firstValue("Content-Security-Policy").orElseThrow().contains("default-src 'self'"));
    assertTrue(index.body().contains("<script src=\"console.js\"></script>"), index.body());
    for (String file : new String[] {"console.js", "console.css", ""}) {
      // The SVG namespace is a name, not a download.
      String body = get("/admin/" + file, null).body().replace("http://www.w3.org/2000/svg", "");
      assertTrue(!body.contains("http://") && !body.contains("https://") && !body.contains("//cdn"),
          file + " loads nothing from elsewhere");
    }
    assertEquals(404, get("/admin/missing.js", null).statusCode());
  }
}

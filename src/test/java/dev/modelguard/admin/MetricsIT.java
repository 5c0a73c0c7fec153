package dev.modelguard.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelguard.testing.GatewayFixture;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Scrapes {@code /metrics} of a real gateway after a few allowed, redacted and blocked requests. */
@ExtendWith(VertxExtension.class)
class MetricsIT {
  @TempDir Path dir;

  static String chat(String text) {
    return "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":" + io.vertx.core.json.Json.encode(text) + "}]}";
  }

  /** The value of the one sample whose line starts with {@code name{} and has every label given. */
  static double sample(String scrape, String name, String... labels) {
    double found = Double.NaN;
    Pattern line = Pattern.compile("^" + Pattern.quote(name) + "\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE);
    Matcher m = line.matcher(scrape);
    while (m.find()) {
      boolean all = true;
      for (String l : labels) {
        all &= m.group(1).contains(l);
      }
      if (all) {
        if (!Double.isNaN(found)) {
          throw new AssertionError("several samples of " + name + " match " + String.join(",", labels));
        }
        found = Double.parseDouble(m.group(2));
      }
    }
    if (Double.isNaN(found)) {
      throw new AssertionError("no sample " + name + " with " + String.join(",", labels) + " in:\n" + scrape);
    }
    return found;
  }

  @Test
  void requestsFindingsGuardsUpstreamAndAuditAreExported(Vertx vertx) throws Exception {
    try (GatewayFixture fx = new GatewayFixture(vertx, dir, Map.of("crashing.yaml", """
            version: 1
            name: crashing
            on_error: allow
            prompt:
              - guard: test-failing
            """), """
          - path: /v1
            upstream: llm
            policy: default
          - path: /strict/v1
            upstream: llm
            policy: strict
            strip_prefix: /strict
          - path: /crashing/v1
            upstream: llm
            policy: crashing
            strip_prefix: /crashing
        """)) {
      fx.upstream.respondChat("Sure.");
      fx.postJson("/v1/chat/completions", chat("Suggest a name for a bakery"));
      fx.postJson("/v1/chat/completions", chat("Suggest a name for a bakery"));
      fx.postJson("/v1/chat/completions", chat("Write to jane.doe@example.com"));
      assertEquals(400, fx.postJson("/strict/v1/chat/completions", chat("key AKIAIOSFODNN7EXAMPLE")).statusCode());
      fx.postJson("/nowhere", "{}");
      fx.postJson("/crashing/v1/chat/completions", chat("hello"));
      fx.flushAudit();

      HttpResponse<String> r = fx.send(HttpRequest.newBuilder(URI.create(fx.base() + "/metrics")).GET().build());
      assertEquals(200, r.statusCode());
      assertTrue(r.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain"));
      String s = r.body();
      assertEquals(2.0, sample(s, "modelguard_requests_total", "route=\"/v1\"", "verdict=\"allow\"", "status=\"200\""));
      assertEquals(1.0, sample(s, "modelguard_requests_total", "route=\"/v1\"", "verdict=\"redact\""));
      assertEquals(1.0, sample(s, "modelguard_requests_total", "route=\"/strict/v1\"", "verdict=\"block\"",
          "status=\"400\""));
      assertEquals(1.0, sample(s, "modelguard_requests_total", "route=\"none\"", "verdict=\"none\""));
      assertEquals(1.0, sample(s, "modelguard_findings_total", "category=\"pii\"", "direction=\"prompt\""));
      assertEquals(1.0, sample(s, "modelguard_findings_total", "category=\"secret\"", "direction=\"prompt\""));
      assertTrue(sample(s, "modelguard_guard_seconds_count", "guard=\"pii\"") >= 4, s);
      assertTrue(s.contains("modelguard_guard_seconds_bucket{guard=\"pii\",le=\"0.001\"}"), s);
      assertEquals(4.0, sample(s, "modelguard_upstream_seconds_count", "upstream=\"llm\""));
      assertEquals(1.0, sample(s, "modelguard_guard_failures_total", "guard=\"test-failing\""));
      assertTrue(s.contains("\nmodelguard_audit_queue_depth "), s);
      assertTrue(s.contains("\nmodelguard_audit_write_seconds_count "), s);
      assertTrue(s.contains("\nmodelguard_audit_dropped_events_total 0"), s);
      assertEquals(0.0, sample(s, "modelguard_policy_reloads_total", "result=\"failure\""));
      fx.gateway.metrics().policyReloaded(false);
      assertEquals(1.0, sample(fx.gateway.metrics().scrape(), "modelguard_policy_reloads_total", "result=\"failure\""));
    }
  }
}

package dev.modelguard.audit;

import dev.modelguard.guard.Direction;
import dev.modelguard.policy.Action;
import java.time.Instant;

/** Small realistic events for audit tests. */
final class TestEvents {
  private TestEvents() {}

  static AuditEvent event(String requestId) {
    return AuditEvent.builder()
        .ts(Instant.parse("2026-11-29T12:00:00.123456Z"))
        .requestId(requestId)
        .route("/v1")
        .policy("default")
        .policyVersion("sha256:" + "ab".repeat(32))
        .direction(Direction.PROMPT)
        .verdict(Action.REDACT)
        .category("pii")
        .finding(new AuditEvent.AuditFinding("pii", "pii", "EMAIL", 1.0, 9, 18, Action.REDACT))
        .upstream("openai")
        .status(200)
        .latency(1.5, 120.25, 123.0)
        .text("mail me: [EMAIL_1] \"quoted\" \u00e9\u4e2d \ud800 lone surrogate ,\"hash\":\"x\" \n next")
        .build();
  }
}

package dev.modelguard.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelguard.policy.ScanResult;
import dev.modelguard.policy.ScanResult.AppliedFinding;
import dev.modelguard.policy.ScanResult.GuardError;

/** The check result JSON of SPEC section 5, shared by {@code POST /v1/guard/check} and {@code modelguard check}. */
public final class CheckResults {
  private CheckResults() {}

  /**
   * Renders {@code result}. {@code verdict} is the policy's decision even in monitor mode, where
   * {@code enforced} is false; {@code redacted_text} is set only for a single free text that was redacted.
   */
  public static ObjectNode toJson(ScanResult result, boolean singleText, double latencyMs) {
    ObjectNode out = Jsons.MAPPER.createObjectNode();
    out.put("verdict", result.verdict().wireName());
    out.put("policy", result.policy().name());
    out.put("policy_version", result.policy().version());
    out.put("enforced", result.enforced());
    ArrayNode cats = out.putArray("categories");
    result.categories().forEach(cats::add);
    ArrayNode findings = out.putArray("findings");
    for (AppliedFinding a : result.findings()) {
      ObjectNode f = findings.addObject();
      f.put("detector", a.finding().guard());
      f.put("category", a.finding().category());
      if (a.finding().label() != null) {
        f.put("label", a.finding().label());
      }
      f.put("score", Math.round(a.finding().score() * 1e4) / 1e4);
      if (!singleText) {
        f.put("segment", a.segment());
      }
      f.put("start", a.finding().start());
      f.put("end", a.finding().end());
      f.put("action", a.action().wireName());
      if (a.monitored()) {
        f.put("monitored", true);
      }
    }
    if (!result.errors().isEmpty()) {
      ArrayNode errors = out.putArray("errors");
      for (GuardError e : result.errors()) {
        errors.addObject().put("guard", e.guard()).put("segment", e.segment()).put("message", e.message());
      }
    }
    String redacted = singleText ? result.redacted().get(0) : null;
    if (redacted == null) {
      out.putNull("redacted_text");
    } else {
      out.put("redacted_text", redacted);
    }
    out.put("latency_ms", Math.round(latencyMs * 100) / 100.0);
    return out;
  }
}

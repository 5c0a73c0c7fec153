package dev.modelguard.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelguard.guard.Direction;
import dev.modelguard.policy.Action;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

class AuditEventTest {

  @Test
  void serialisesSnakeCaseInSpecOrderWithMillisAndOmitsNulls() throws Exception {
    AuditEvent e = TestEvents.event("req-1").withNote("stream_not_checked");
    String json = HashChain.MAPPER.writeValueAsString(e);
    JsonNode node = HashChain.MAPPER.readTree(json);
    List<String> names = new ArrayList<>();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      names.add(it.next());
    }
    assertEquals(List.of("ts", "request_id", "route", "policy", "policy_version", "direction", "verdict",
        "enforced", "categories", "findings", "upstream", "status", "latency_ms", "text", "notes"), names);
    assertEquals("2026-11-29T12:00:00.123Z", node.get("ts").asText());
    assertEquals("prompt", node.get("direction").asText());
    assertEquals("redact", node.get("verdict").asText());
    assertEquals("{\"detector\":\"pii\",\"category\":\"pii\",\"label\":\"EMAIL\",\"score\":1.0,\"start\":9,\"end\":18,"
        + "\"action\":\"redact\"}", node.get("findings").get(0).toString());
    assertEquals("{\"guards\":1.5,\"upstream\":120.25,\"total\":123.0}", node.get("latency_ms").toString());
    assertFalse(node.has("tenant"));
    assertFalse(node.has("errors"), "empty errors are omitted");
    assertFalse(json.contains("\n"), "one event must stay on one line");
  }

  @Test
  void wholeSecondTimestampsStillHaveThreeFractionDigits() throws Exception {
    AuditEvent e = AuditEvent.builder().ts(Instant.parse("2026-01-02T03:04:05Z")).requestId("r").route("/v1")
        .policy("p").policyVersion("v").direction(Direction.RESPONSE).verdict(Action.ALLOW).latency(0, 0, 0)
        .error("harmful", "timeout after 100 ms").build();
    JsonNode node = HashChain.MAPPER.readTree(HashChain.MAPPER.writeValueAsString(e));
    assertEquals("2026-01-02T03:04:05.000Z", node.get("ts").asText());
    assertEquals("[{\"guard\":\"harmful\",\"message\":\"timeout after 100 ms\"}]", node.get("errors").toString());
  }

  @Test
  void roundTripsThroughJsonIgnoringChainFields() throws Exception {
    AuditEvent e = TestEvents.event("req-2");
    byte[] line = HashChain.chain(HashChain.MAPPER.writeValueAsBytes(e), HashChain.GENESIS).line();
    assertEquals(e, HashChain.MAPPER.readValue(line, AuditEvent.class));
  }

  @Test
  void missingRequiredFieldsAreNamed() {
    NullPointerException npe = assertThrows(NullPointerException.class,
        () -> AuditEvent.builder().ts(Instant.EPOCH).route("/v1").build());
    assertEquals("request_id", npe.getMessage());
    IllegalArgumentException iae = assertThrows(IllegalArgumentException.class,
        () -> new AuditEvent.AuditFinding("pii", "nonsense", null, 1.0, 0, 1, Action.FLAG));
    assertTrue(iae.getMessage().contains("nonsense"));
  }
}

package dev.modelguard.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelguard.api.Jsons;
import dev.modelguard.api.sse.SseDecoder;
import dev.modelguard.api.sse.SseEvent;
import dev.modelguard.testing.GatewayFixture;
import io.vertx.core.Vertx;
import io.vertx.core.json.Json;
import io.vertx.junit5.VertxExtension;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Streamed and non-streamed answers of every supported API through the real gateway. */
@ExtendWith(VertxExtension.class)
class StreamIT {
  private static final String AWS_KEY = "AKIAIOSFODNN7EXAMPLE";
  private static GatewayFixture fx;
  private static Vertx vertx;

  @TempDir
  static Path dir;

  @BeforeAll
  static void start(Vertx v) throws Exception {
    vertx = v;
    fx = new GatewayFixture(v, dir, Map.of(
        "lenient.yaml", """
            version: 1
            name: lenient
            extends: default
            on_error: allow
            """,
        "passthrough.yaml", """
            version: 1
            name: passthrough
            extends: strict
            streaming:
              mode: passthrough
            """,
        "buffered.yaml", """
            version: 1
            name: buffered
            extends: strict
            streaming:
              mode: buffer
            """), """
          - path: /v1
            upstream: llm
            policy: default
          - path: /strict/v1
            upstream: llm
            policy: strict
            strip_prefix: /strict
          - path: /lenient/v1
            upstream: llm
            policy: lenient
            strip_prefix: /lenient
          - path: /passthrough/v1
            upstream: llm
            policy: passthrough
            strip_prefix: /passthrough
          - path: /buffered/v1
            upstream: llm
            policy: buffered
            strip_prefix: /buffered
        """);
  }

  @AfterAll
  static void stop() throws Exception {
    fx.close();
  }

  @BeforeEach
  void reset() {
    fx.upstream.reset();
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static String chatChunk(String content) {
    return "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
        + Json.encode(content) + "}}]}\n\n";
  }

  private static List<String> chatStream(String... pieces) {
    List<String> events = new ArrayList<>();
    events.add("data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\n");
    for (String p : pieces) {
      events.add(chatChunk(p));
    }
    events.add("data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
    events.add("data: [DONE]\n\n");
    return events;
  }

  private static final String CHAT_STREAM_REQUEST =
      "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  private static List<SseEvent> events(String body) {
    SseDecoder d = new SseDecoder(1 << 20);
    List<SseEvent> out = new ArrayList<>(d.feed(body.getBytes(StandardCharsets.UTF_8)));
    out.addAll(d.finish());
    return out;
  }

  /** The text the client assembled from OpenAI chat chunks. */
  private static String chatText(String body) throws Exception {
    StringBuilder b = new StringBuilder();
    for (SseEvent e : events(body)) {
      if (e.data() != null && !e.data().equals("[DONE]")) {
        b.append(Jsons.MAPPER.readTree(e.data()).at("/choices/0/delta/content").asText(""));
      }
    }
    return b.toString();
  }

  private static JsonNode lastData(String body) throws Exception {
    List<SseEvent> all = events(body);
    return Jsons.MAPPER.readTree(all.get(all.size() - 1).data());
  }

  // ---- OpenAI chat ---------------------------------------------------------------------------

  @Test
  void benignStreamArrivesCompleteAndUnchanged() throws Exception {
    List<String> events = chatStream("Once upon ", "a time, ", "there was a ", "quiet bakery", " in Lisbon.");
    fx.upstream.respondStream(events);
    HttpResponse<String> r = fx.postJson("/v1/chat/completions", CHAT_STREAM_REQUEST);
    assertEquals(200, r.statusCode());
    assertEquals(String.join("", events), r.body());
  }

  @Test
  void secretMidStreamNeverReachesTheClientAndTheStreamEndsWithTheErrorEvent() throws Exception {
    fx.upstream.respondStream(chatStream("Here is the key: AKIAIOSF", "ODNN7EXAMPLE", " and more text after it."));
    HttpResponse<String> r = fx.postJson("/strict/v1/chat/completions", CHAT_STREAM_REQUEST);
    assertEquals(200, r.statusCode());
    assertFalse(r.body().contains("AKIA"), r.body());
    assertFalse(r.body().contains("ODNN7"), r.body());
    assertFalse(r.body().contains("more text after"), r.body());
    JsonNode error = lastData(r.body()).path("error");
    assertEquals("guardrail_violation", error.path("type").asText());
    assertEquals("secret", error.path("code").asText());
    assertEquals("Response blocked by policy 'strict': secret", error.path("message").asText());
    assertFalse(r.body().contains("[DONE]"));
  }

  @Test
  void secretMidStreamIsRedactedBeforeRelease() throws Exception {
    fx.upstream.respondStream(chatStream("Use AKIAIOSF", "ODNN7EXAMPLE", " to deploy, or mail ops@corp.example.com."));
    HttpResponse<String> r = fx.postJson("/v1/chat/completions", CHAT_STREAM_REQUEST);
    assertEquals(200, r.statusCode());
    assertFalse(r.body().contains("AKIA"), r.body());
    assertFalse(r.body().contains("ops@corp"), r.body());
    assertEquals("Use [AWS_ACCESS_KEY_1] to deploy, or mail [EMAIL_1].", chatText(r.body()));
    assertTrue(r.body().endsWith("data: [DONE]\n\n"));
  }

  @Test
  void tokensFlowBeforeTheUpstreamFinishes() throws Exception {
    AtomicBoolean upstreamDone = new AtomicBoolean();
    fx.upstream.respondWith(req -> {
      var res = req.response().setChunked(true).putHeader("content-type", "text/event-stream");
      int[] n = {0};
      vertx.setPeriodic(15, id -> {
        if (n[0] < 40) {
          res.write(chatChunk("word" + n[0]++ + " is benign text. "));
        } else {
          vertx.cancelTimer(id);
          upstreamDone.set(true);
          res.end("data: [DONE]\n\n");
        }
      });
    });
    HttpRequest req = HttpRequest.newBuilder(URI.create(fx.base() + "/v1/chat/completions"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(CHAT_STREAM_REQUEST)).build();
    HttpResponse<InputStream> r = HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream in = r.body()) {
      int first = in.read();
      assertTrue(first >= 0);
      assertFalse(upstreamDone.get(), "the first bytes only arrived after the upstream had finished");
      String rest = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(rest.endsWith("data: [DONE]\n\n"));
    }
  }

  @Test
  void upstreamClosingMidStreamEndsWithAnErrorEvent() throws Exception {
    fx.upstream.respondWith(req -> {
      var res = req.response().setChunked(true).putHeader("content-type", "text/event-stream");
      res.write(chatChunk("A partial answer that stops here"));
      vertx.setTimer(50, t -> req.connection().close());
    });
    HttpResponse<String> r = fx.postJson("/v1/chat/completions", CHAT_STREAM_REQUEST);
    assertEquals(200, r.statusCode());
    assertEquals("A partial answer that stops here", chatText(r.body().substring(0, r.body().lastIndexOf("data: {\"error\""))));
    assertEquals("upstream_stream_interrupted", lastData(r.body()).at("/error/code").asText());
  }

  @Test
  void malformedChunkFailsClosedOrIsRelayedUnderOnErrorAllow() throws Exception {
    List<String> events = List.of(chatChunk("fine so far"), "data: {not json\n\n", chatChunk(" and after"), "data: [DONE]\n\n");
    fx.upstream.respondStream(events);
    HttpResponse<String> r = fx.postJson("/v1/chat/completions", CHAT_STREAM_REQUEST);
    assertEquals("malformed_chunk", lastData(r.body()).at("/error/code").asText());
    assertFalse(r.body().contains("and after"));

    fx.upstream.respondStream(events);
    r = fx.postJson("/lenient/v1/chat/completions", CHAT_STREAM_REQUEST);
    assertTrue(r.body().contains("data: {not json"), r.body());
    assertTrue(r.body().endsWith("data: [DONE]\n\n"));
    String id = r.headers().firstValue(ProxyHandler.REQUEST_ID_HEADER).orElseThrow();
    assertTrue(fx.awaitAuditLine(id, "response").contains("malformed_chunk"), "malformed chunk not audited");
  }

  @Test
  void bufferModeReleasesNothingBeforeTheWholeAnswerIsChecked() throws Exception {
    fx.upstream.respondStream(chatStream("Harmless start. ".repeat(40), "key " + AWS_KEY));
    HttpResponse<String> r = fx.postJson("/buffered/v1/chat/completions", CHAT_STREAM_REQUEST);
    assertFalse(r.body().contains("Harmless start"), "buffer mode released text before the block");
    assertEquals("secret", lastData(r.body()).at("/error/code").asText());
  }

  @Test
  void passthroughModeRelaysEverythingButStillDecidesAndAudits() throws Exception {
    fx.upstream.respondStream(chatStream("The key is ", AWS_KEY, "."));
    HttpResponse<String> r = fx.postJson("/passthrough/v1/chat/completions", CHAT_STREAM_REQUEST);
    assertEquals("The key is " + AWS_KEY + ".", chatText(r.body()));
    String line = fx.awaitAuditLine(r.headers().firstValue(ProxyHandler.REQUEST_ID_HEADER).orElseThrow(), "response");
    assertTrue(line.contains("\"verdict\":\"block\""), line);
    assertTrue(line.contains("stream_passthrough:blocks_not_enforced"), line);
  }

  // ---- OpenAI completions -------------------------------------------------------------------

  @Test
  void completionsStreamIsRedacted() throws Exception {
    fx.upstream.respondStream(List.of(
        "data: {\"choices\":[{\"index\":0,\"text\":\"call +86 138 1234\"}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"text\":\" 5678 now\"}]}\n\n",
        "data: [DONE]\n\n"));
    HttpResponse<String> r = fx.postJson("/v1/completions", "{\"model\":\"m\",\"stream\":true,\"prompt\":\"hi\"}");
    StringBuilder text = new StringBuilder();
    for (SseEvent e : events(r.body())) {
      if (!"[DONE]".equals(e.data())) {
        text.append(Jsons.MAPPER.readTree(e.data()).at("/choices/0/text").asText());
      }
    }
    assertEquals("call [CN_MOBILE_1] now", text.toString());
  }

  // ---- OpenAI Responses API -----------------------------------------------------------------

  private static String responsesEvent(String type, String json) {
    return "event: " + type + "\ndata: {\"type\":\"" + type + "\"," + json + "}\n\n";
  }

  @Test
  void responsesStreamRedactsDeltasAndSnapshots() throws Exception {
    String full = "Mail jane.doe@example.com today.";
    fx.upstream.respondStream(List.of(
        responsesEvent("response.created", "\"response\":{\"id\":\"r1\",\"output\":[]}"),
        responsesEvent("response.output_text.delta", "\"output_index\":0,\"content_index\":0,\"delta\":\"Mail jane.doe@\""),
        responsesEvent("response.output_text.delta", "\"output_index\":0,\"content_index\":0,\"delta\":\"example.com today.\""),
        responsesEvent("response.output_text.done", "\"output_index\":0,\"content_index\":0,\"text\":\"" + full + "\""),
        responsesEvent("response.completed", "\"response\":{\"id\":\"r1\",\"output\":[{\"type\":\"message\","
            + "\"content\":[{\"type\":\"output_text\",\"text\":\"" + full + "\"}]}]}")));
    HttpResponse<String> r = fx.postJson("/v1/responses", "{\"model\":\"m\",\"stream\":true,\"input\":\"hi\"}");
    assertFalse(r.body().contains("jane.doe"), r.body());
    List<SseEvent> all = events(r.body());
    assertEquals(5, all.size());
    assertEquals("Mail [EMAIL_1] today.", Jsons.MAPPER.readTree(all.get(3).data()).path("text").asText());
    assertEquals("Mail [EMAIL_1] today.",
        Jsons.MAPPER.readTree(all.get(4).data()).at("/response/output/0/content/0/text").asText());
  }

  @Test
  void responsesNonStreamedPromptAndAnswerAreGuarded() throws Exception {
    fx.upstream.respondJson(200, "{\"id\":\"r\",\"output\":[{\"type\":\"message\",\"content\":[{\"type\":\"output_text\","
        + "\"text\":\"key " + AWS_KEY + "\"}]}]}");
    HttpResponse<String> r = fx.postJson("/v1/responses", "{\"model\":\"m\",\"instructions\":\"be nice\","
        + "\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"mail a.b@example.com\"}]}]}");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("mail [EMAIL_1]", Jsons.MAPPER.readTree(fx.upstream.last().body()).at("/input/0/content/0/text").asText());
    assertEquals("key [AWS_ACCESS_KEY_1]", Jsons.MAPPER.readTree(r.body()).at("/output/0/content/0/text").asText());
  }

  // ---- Anthropic messages --------------------------------------------------------------------

  private static String anthropicEvent(String type, String json) {
    return "event: " + type + "\ndata: {\"type\":\"" + type + "\"" + (json.isEmpty() ? "" : "," + json) + "}\n\n";
  }

  private static final String ANTHROPIC_STREAM_REQUEST = "{\"model\":\"claude\",\"max_tokens\":100,\"stream\":true,"
      + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  @Test
  void anthropicStreamBlockedMidWayEndsWithAnAnthropicErrorEvent() throws Exception {
    fx.upstream.respondStream(List.of(
        anthropicEvent("message_start", "\"message\":{\"id\":\"m1\",\"role\":\"assistant\",\"content\":[]}"),
        anthropicEvent("content_block_start", "\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}"),
        anthropicEvent("content_block_delta", "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"The key is AKIAIOSF\"}"),
        anthropicEvent("content_block_delta", "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"ODNN7EXAMPLE.\"}"),
        anthropicEvent("content_block_stop", "\"index\":0"),
        anthropicEvent("message_stop", "")));
    HttpResponse<String> r = fx.postJson("/strict/v1/messages", ANTHROPIC_STREAM_REQUEST);
    assertFalse(r.body().contains("AKIA"), r.body());
    List<SseEvent> all = events(r.body());
    SseEvent last = all.get(all.size() - 1);
    assertEquals("error", last.event());
    JsonNode data = Jsons.MAPPER.readTree(last.data());
    assertEquals("error", data.path("type").asText());
    assertEquals("guardrail_violation", data.at("/error/type").asText());
    assertEquals("Response blocked by policy 'strict': secret", data.at("/error/message").asText());
  }

  @Test
  void anthropicStreamRedactsTextAndToolInput() throws Exception {
    fx.upstream.respondStream(List.of(
        anthropicEvent("message_start", "\"message\":{\"id\":\"m1\",\"content\":[]}"),
        anthropicEvent("content_block_delta", "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Reach me at \"}"),
        anthropicEvent("content_block_delta", "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"jo@corp.example.com\"}"),
        anthropicEvent("content_block_delta", "\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"to\\\": \\\"jo@corp.\"}"),
        anthropicEvent("content_block_delta", "\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"example.com\\\"}\"}"),
        anthropicEvent("message_stop", "")));
    HttpResponse<String> r = fx.postJson("/v1/messages", ANTHROPIC_STREAM_REQUEST);
    assertFalse(r.body().contains("jo@corp"), r.body());
    StringBuilder text = new StringBuilder();
    StringBuilder json = new StringBuilder();
    for (SseEvent e : events(r.body())) {
      JsonNode d = Jsons.MAPPER.readTree(e.data());
      text.append(d.at("/delta/text").asText(""));
      json.append(d.at("/delta/partial_json").asText(""));
    }
    assertEquals("Reach me at [EMAIL_1]", text.toString());
    assertEquals("[EMAIL_1]", Jsons.MAPPER.readTree(json.toString()).path("to").asText());
  }

  @Test
  void anthropicBlockedRequestGetsAnthropicsErrorShape() throws Exception {
    HttpResponse<String> r = fx.postJson("/strict/v1/messages", "{\"model\":\"claude\",\"max_tokens\":10,"
        + "\"system\":[{\"type\":\"text\",\"text\":\"be nice\"}],"
        + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"my key " + AWS_KEY + "\"}]}]}");
    assertEquals(400, r.statusCode());
    JsonNode body = Jsons.MAPPER.readTree(r.body());
    assertEquals("error", body.path("type").asText());
    assertEquals("guardrail_violation", body.at("/error/type").asText());
    assertEquals("Request blocked by policy 'strict': secret", body.at("/error/message").asText());
    assertTrue(fx.upstream.received().isEmpty());
  }

  @Test
  void anthropicToolResultsAndToolUseInputsAreScanned() throws Exception {
    fx.upstream.respondJson(200, "{\"id\":\"m\",\"type\":\"message\",\"role\":\"assistant\",\"content\":["
        + "{\"type\":\"text\",\"text\":\"Sent to x.y@example.com\"},"
        + "{\"type\":\"tool_use\",\"id\":\"t2\",\"name\":\"mail\",\"input\":{\"to\":\"x.y@example.com\"}}]}");
    HttpResponse<String> r = fx.postJson("/v1/messages", "{\"model\":\"claude\",\"max_tokens\":10,\"messages\":["
        + "{\"role\":\"user\",\"content\":\"look up the customer\"},"
        + "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"crm\",\"input\":{\"q\":\"id 11010519491231002X\"}}]},"
        + "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t1\",\"content\":\"email x.y@example.com\"}]}]}");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode sent = Jsons.MAPPER.readTree(fx.upstream.last().body());
    assertEquals("id [CN_ID_1]", sent.at("/messages/1/content/0/input/q").asText());
    assertEquals("email [EMAIL_1]", sent.at("/messages/2/content/0/content").asText());
    JsonNode answer = Jsons.MAPPER.readTree(r.body());
    assertEquals("Sent to [EMAIL_1]", answer.at("/content/0/text").asText());
    assertEquals("[EMAIL_1]", answer.at("/content/1/input/to").asText());
  }

  @Test
  void resentHistoryComesFromTheCache() throws Exception {
    StringBuilder messages = new StringBuilder("[");
    for (int i = 0; i < 40; i++) {
      messages.append(i == 0 ? "" : ",").append("{\"role\":\"").append(i % 2 == 0 ? "user" : "assistant")
          .append("\",\"content\":\"turn ").append(i).append(" of a long and friendly conversation\"}");
    }
    String first = "{\"model\":\"m\",\"messages\":" + messages + "]}";
    fx.postJson("/v1/chat/completions", first);
    String next = "{\"model\":\"m\",\"messages\":" + messages
        + ",{\"role\":\"user\",\"content\":\"and one new question\"}]}";
    HttpResponse<String> r = fx.postJson("/v1/chat/completions", next);
    String id = r.headers().firstValue(ProxyHandler.REQUEST_ID_HEADER).orElseThrow();
    String line = fx.awaitAuditLine(id, "prompt");
    assertTrue(line.contains("\"segments_scanned:1\""), line);
    assertTrue(line.contains("\"segments_cached:40\""), line);
  }

}

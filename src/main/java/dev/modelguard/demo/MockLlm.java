package dev.modelguard.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelguard.api.Jsons;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small OpenAI-compatible LLM for the {@code demo} command and local trials: it answers chat,
 * completion and embedding requests deterministically, streamed or not, without any model.
 *
 * <p>It echoes the last user message ("You said: ..."), so redactions made by the gateway are
 * visible in the answer. Asking it for "the deploy key" or "the admin contact" makes it leak a
 * fake AWS key or e-mail address, to show response-side guarding. Runs on the given Vert.x
 * instance's event loop; not a test double, but not a model either.
 */
public final class MockLlm {
  /** A fake key in AWS's documented example format: what the mock "leaks". */
  public static final String LEAKED_KEY = "AKIAIOSFODNN7EXAMPLE";
  public static final String LEAKED_EMAIL = "admin@corp.example.com";

  private static final java.util.regex.Pattern WRITE_WORDS = java.util.regex.Pattern.compile("write (\\d{1,5}) words");

  private final Vertx vertx;
  private final long chunkDelayMs;
  private HttpServer server;

  public MockLlm(Vertx vertx) {
    this(vertx, 0);
  }

  /**
   * @param chunkDelayMs pause between streamed chunks, to imitate a model generating tokens (0: none)
   */
  public MockLlm(Vertx vertx, long chunkDelayMs) {
    this.vertx = vertx;
    this.chunkDelayMs = chunkDelayMs;
  }

  /** Starts listening on {@code host:port} (0 picks a free port). */
  public Future<HttpServer> start(String host, int port) {
    return vertx.createHttpServer().requestHandler(this::handle).listen(port, host).onSuccess(s -> server = s);
  }

  public int port() {
    return server.actualPort();
  }

  public Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  private void handle(HttpServerRequest req) {
    String path = req.path();
    if (path.endsWith("/models")) {
      req.response().putHeader("content-type", "application/json")
          .end("{\"object\":\"list\",\"data\":[{\"id\":\"mock-1\",\"object\":\"model\",\"owned_by\":\"modelguard\"}]}");
      return;
    }
    req.body().onSuccess(body -> {
      JsonNode request;
      try {
        request = Jsons.MAPPER.readTree(body.getBytes());
      } catch (IOException e) {
        req.response().setStatusCode(400).putHeader("content-type", "application/json")
            .end("{\"error\":{\"message\":\"invalid JSON\",\"type\":\"invalid_request_error\"}}");
        return;
      }
      if (path.endsWith("/chat/completions")) {
        chat(req, request);
      } else if (path.endsWith("/messages")) {
        anthropic(req, request);
      } else if (path.endsWith("/completions")) {
        ObjectNode out = Jsons.MAPPER.createObjectNode();
        out.put("id", "cmpl-mock").put("object", "text_completion").put("model", "mock-1");
        out.putArray("choices").addObject().put("index", 0).put("text", reply(request.path("prompt").asText("")))
            .put("finish_reason", "stop");
        json(req, out);
      } else if (path.endsWith("/embeddings")) {
        ObjectNode out = Jsons.MAPPER.createObjectNode();
        out.put("object", "list").put("model", "mock-embed");
        ArrayNode data = out.putArray("data");
        JsonNode input = request.path("input");
        int n = input.isArray() ? input.size() : 1;
        for (int i = 0; i < n; i++) {
          String text = input.isArray() ? input.get(i).asText() : input.asText();
          ArrayNode v = data.addObject().put("object", "embedding").put("index", i).putArray("embedding");
          for (int d = 0; d < 8; d++) {
            v.add(((text.hashCode() >>> d) & 0xff) / 255.0);
          }
        }
        json(req, out);
      } else {
        req.response().setStatusCode(404).putHeader("content-type", "application/json")
            .end("{\"error\":{\"message\":\"unknown path\",\"type\":\"invalid_request_error\"}}");
      }
    });
  }

  /** The text of the last user message (string content or text parts), in both chat formats. */
  private static String lastUserText(JsonNode request) {
    String lastUser = "";
    for (JsonNode m : request.path("messages")) {
      if ("user".equals(m.path("role").asText())) {
        JsonNode content = m.path("content");
        if (content.isArray()) {
          StringBuilder b = new StringBuilder();
          content.forEach(p -> b.append(p.path("text").asText("")));
          lastUser = b.toString();
        } else {
          lastUser = content.asText("");
        }
      }
    }
    return lastUser;
  }

  private void chat(HttpServerRequest req, JsonNode request) {
    String lastUser = lastUserText(request);
    String answer = reply(lastUser);
    if (request.path("stream").asBoolean(false)) {
      stream(req, answer);
      return;
    }
    ObjectNode out = Jsons.MAPPER.createObjectNode();
    out.put("id", "chatcmpl-mock").put("object", "chat.completion").put("created", 0).put("model", "mock-1");
    ObjectNode choice = out.putArray("choices").addObject();
    choice.put("index", 0).putObject("message").put("role", "assistant").put("content", answer);
    choice.put("finish_reason", "stop");
    out.putObject("usage").put("prompt_tokens", lastUser.length() / 4).put("completion_tokens", answer.length() / 4);
    json(req, out);
  }

  /** Anthropic Messages API: the same echo, as a message or as its event stream. */
  private void anthropic(HttpServerRequest req, JsonNode request) {
    String lastUser = lastUserText(request);
    String answer = reply(lastUser);
    if (!request.path("stream").asBoolean(false)) {
      ObjectNode out = Jsons.MAPPER.createObjectNode();
      out.put("id", "msg_mock").put("type", "message").put("role", "assistant").put("model", "mock-1");
      out.putArray("content").addObject().put("type", "text").put("text", answer);
      out.put("stop_reason", "end_turn").putNull("stop_sequence");
      out.putObject("usage").put("input_tokens", lastUser.length() / 4).put("output_tokens", answer.length() / 4);
      json(req, out);
      return;
    }
    var res = req.response().setChunked(true).putHeader("content-type", "text/event-stream");
    ObjectNode start = Jsons.MAPPER.createObjectNode().put("type", "message_start");
    start.putObject("message").put("id", "msg_mock").put("type", "message").put("role", "assistant")
        .put("model", "mock-1").putNull("stop_reason").putNull("stop_sequence").putArray("content");
    ((ObjectNode) start.get("message")).putObject("usage").put("input_tokens", 1).put("output_tokens", 0);
    sse(res, "message_start", start);
    ObjectNode blockStart = Jsons.MAPPER.createObjectNode().put("type", "content_block_start").put("index", 0);
    blockStart.putObject("content_block").put("type", "text").put("text", "");
    sse(res, "content_block_start", blockStart);
    for (int i = 0; i < answer.length(); i += 6) {
      ObjectNode delta = Jsons.MAPPER.createObjectNode().put("type", "content_block_delta").put("index", 0);
      delta.putObject("delta").put("type", "text_delta").put("text", answer.substring(i, Math.min(answer.length(), i + 6)));
      sse(res, "content_block_delta", delta);
    }
    sse(res, "content_block_stop", Jsons.MAPPER.createObjectNode().put("type", "content_block_stop").put("index", 0));
    ObjectNode messageDelta = Jsons.MAPPER.createObjectNode().put("type", "message_delta");
    messageDelta.putObject("delta").put("stop_reason", "end_turn").putNull("stop_sequence");
    messageDelta.putObject("usage").put("output_tokens", answer.length() / 4);
    sse(res, "message_delta", messageDelta);
    sse(res, "message_stop", Jsons.MAPPER.createObjectNode().put("type", "message_stop"));
    res.end();
  }

  private static void sse(io.vertx.core.http.HttpServerResponse res, String event, JsonNode data) {
    res.write(Buffer.buffer("event: " + event + "\ndata: ").appendBytes(Jsons.bytes(data)).appendString("\n\n"));
  }

  static String reply(String prompt) {
    String p = prompt.toLowerCase(Locale.ROOT);
    if (p.contains("deploy key")) {
      return "Sure. The deploy key is " + LEAKED_KEY + ", keep it safe.";
    }
    if (p.contains("admin contact")) {
      return "You can reach the administrator at " + LEAKED_EMAIL + ".";
    }
    java.util.regex.Matcher words = WRITE_WORDS.matcher(p);
    if (words.find()) {
      // "write 500 words": a long, benign answer of about that many tokens, for stream benchmarks.
      String[] vocabulary = {"the", "quiet", "bakery", "opens", "early", "and", "sells", "warm", "bread", "to", "Lisbon"};
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < Integer.parseInt(words.group(1)); i++) {
        b.append(vocabulary[i % vocabulary.length]).append(i % 12 == 11 ? ". " : " ");
      }
      return b.toString().trim();
    }
    return "You said: " + prompt;
  }

  /**
   * Streams {@code answer} a few characters per SSE chunk, as OpenAI does, then {@code [DONE]};
   * with a chunk delay, one chunk per timer tick.
   */
  private void stream(HttpServerRequest req, String answer) {
    var res = req.response().setChunked(true).putHeader("content-type", "text/event-stream")
        .putHeader("cache-control", "no-cache");
    List<Buffer> events = new ArrayList<>();
    for (int i = 0; i < answer.length(); i += 6) {
      ObjectNode chunk = Jsons.MAPPER.createObjectNode();
      chunk.put("id", "chatcmpl-mock").put("object", "chat.completion.chunk").put("model", "mock-1");
      chunk.putArray("choices").addObject().put("index", 0).putObject("delta")
          .put("content", answer.substring(i, Math.min(answer.length(), i + 6)));
      events.add(Buffer.buffer("data: ").appendBytes(Jsons.bytes(chunk)).appendString("\n\n"));
    }
    events.add(Buffer.buffer("data: [DONE]\n\n"));
    if (chunkDelayMs <= 0) {
      events.forEach(res::write);
      res.end();
      return;
    }
    int[] next = {0};
    vertx.setPeriodic(chunkDelayMs, id -> {
      if (res.closed() || next[0] >= events.size()) {
        vertx.cancelTimer(id);
        if (!res.ended() && !res.closed()) {
          res.end();
        }
        return;
      }
      res.write(events.get(next[0]++));
    });
  }

  private static void json(HttpServerRequest req, JsonNode out) {
    req.response().putHeader("content-type", "application/json").end(Buffer.buffer(Jsons.bytes(out)));
  }
}

package dev.modelguard.testing;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A real HTTP server on a free loopback port standing in for an LLM provider in integration tests:
 * it records every request it receives and answers with whatever the test scripted.
 */
public final class RecordingUpstream implements AutoCloseable {
  /** A request as the upstream saw it. */
  public record Received(String method, String uri, MultiMap headers, String body) {}

  private final Vertx vertx;
  private final HttpServer server;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private volatile Consumer<HttpServerRequest> responder = RecordingUpstream::defaultChat;

  public RecordingUpstream(Vertx vertx) throws Exception {
    this.vertx = vertx;
    this.server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      received.add(new Received(req.method().name(), req.uri(), MultiMap.caseInsensitiveMultiMap().addAll(req.headers()),
          body.toString()));
      responder.accept(req);
    })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  public int port() {
    return server.actualPort();
  }

  public String url() {
    return "http://127.0.0.1:" + port();
  }

  public List<Received> received() {
    return received;
  }

  public Received last() {
    return received.get(received.size() - 1);
  }

  /** Answers every following request with {@code status} and a JSON {@code body}. */
  public void respondJson(int status, String body) {
    responder = req -> req.response().setStatusCode(status).putHeader("content-type", "application/json").end(body);
  }

  /** Answers with an OpenAI chat completion whose assistant message is {@code content}. */
  public void respondChat(String content) {
    respondJson(200, chatBody(content));
  }

  /** Streams the given SSE events (each already formatted, e.g. {@code data: {...}\n\n}) and ends. */
  public void respondStream(List<String> events) {
    responder = req -> {
      var res = req.response().setChunked(true).putHeader("content-type", "text/event-stream");
      events.forEach(e -> res.write(Buffer.buffer(e)));
      res.end();
    };
  }

  /** Never answers (for timeout tests). */
  public void respondNever() {
    responder = req -> { };
  }

  public void respondWith(Consumer<HttpServerRequest> custom) {
    responder = custom;
  }

  public void reset() {
    received.clear();
    responder = RecordingUpstream::defaultChat;
  }

  public static String chatBody(String content) {
    return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":[{\"index\":0,"
        + "\"message\":{\"role\":\"assistant\",\"content\":" + io.vertx.core.json.Json.encode(content) + "},"
        + "\"finish_reason\":\"stop\"}]}";
  }

  private static void defaultChat(HttpServerRequest req) {
    req.response().putHeader("content-type", "application/json").end(chatBody("Hello from upstream."));
  }

  @Override
  public void close() throws Exception {
    server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}

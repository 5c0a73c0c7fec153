package dev.modelguard.proxy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelguard.api.WireFormat;
import dev.modelguard.api.sse.SseDecoder;
import dev.modelguard.api.sse.SseEvent;
import dev.modelguard.api.sse.StreamChunk;
import dev.modelguard.policy.OnError;
import dev.modelguard.policy.PolicyEngine;
import dev.modelguard.policy.ScanResult;
import dev.modelguard.policy.Streaming;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Relays one streamed answer through a {@link StreamScanner}: the upstream is paused while each
 * piece is decoded and scanned, released events are written as they clear, and a block ends the
 * stream with one error event in the API's format and closes the upstream connection. A malformed
 * event follows the policy's {@code on_error}; an upstream that goes away mid-stream gets what was
 * received scanned and released, then an error event saying the answer is incomplete.
 *
 * <p>One instance per streamed response, on that request's event-loop context; not thread-safe.
 * {@code done} is called exactly once, when the stream is over whichever way it ended.
 */
final class StreamRelay {
  private final HttpServerResponse res;
  private final Exchange ex;
  private final WireFormat format;
  private final HttpClientResponse up;
  private final Consumer<Exchange> done;
  private final StreamScanner scanner;
  private final SseDecoder decoder;

  StreamRelay(HttpServerResponse res, Exchange ex, WireFormat format, HttpClientResponse up, PolicyEngine engine,
      Consumer<Exchange> done) {
    this.res = res;
    this.ex = ex;
    this.format = format;
    this.up = up;
    this.done = done;
    this.scanner = new StreamScanner(ex.policy(), engine, ex.redactor());
    this.decoder = new SseDecoder(scanner.maxPendingBytes());
  }

  /** Starts relaying; the response head (status, headers) must already be set. */
  void start() {
    res.setChunked(true);
    if (ex.policy().streaming().mode() == Streaming.Mode.PASSTHROUGH) {
      ex.notes().add("stream_passthrough:blocks_not_enforced");
    }
    if (!format.scansStreams()) {
      ex.notes().add("response_not_checked:stream_of_" + format.name());
    }
    up.handler(buf -> {
      up.pause();
      List<StreamChunk> chunks;
      try {
        chunks = parse(decoder.feed(buf.getBytes()));
      } catch (RuntimeException e) {
        fail("stream_error", "upstream stream cannot be decoded: " + e.getMessage());
        return;
      }
      if (chunks == null) {
        fail("malformed_chunk", "upstream sent a malformed stream event");
        return;
      }
      scanner.offer(chunks).onComplete(ar -> {
        if (!apply(ar)) {
          up.resume();
        }
      });
    });
    up.endHandler(v -> end());
    up.exceptionHandler(e -> {
      ex.notes().add("stream_interrupted:" + e.getMessage());
      scanner.finish().onComplete(ar -> {
        if (!apply(ar)) {
          writeError(format.errorBody(GatewayException.UPSTREAM, "upstream_stream_interrupted",
              "upstream '" + ex.route().upstream() + "' closed the stream before it ended", ex.requestId(), List.of()));
          ex.response(scanner.summary());
          res.end();
          done.accept(ex);
        }
      });
    });
  }

  /** The upstream ended the stream: the last events, the whole-text guards, the rest released. */
  private void end() {
    List<StreamChunk> chunks = parse(decoder.finish());
    if (chunks == null) {
      fail("malformed_chunk", "upstream sent a malformed stream event");
      return;
    }
    scanner.offer(chunks).compose(step -> {
      if (step.blocked() != null) {
        return Future.succeededFuture(step);
      }
      return scanner.finish().map(last -> {
        List<SseEvent> all = new ArrayList<>(step.release());
        all.addAll(last.release());
        return new StreamScanner.Step(all, last.blocked());
      });
    }).onComplete(ar -> {
      if (!apply(ar)) {
        ex.response(scanner.summary());
        if (!res.ended()) {
          res.end();
        }
        done.accept(ex);
      }
    });
  }

  /** Decodes events into chunks; a malformed one is noted and, under {@code on_error: allow}, relayed unscanned; null to stop. */
  private List<StreamChunk> parse(List<SseEvent> events) {
    List<StreamChunk> out = new ArrayList<>(events.size());
    for (SseEvent e : events) {
      try {
        out.add(format.streamChunk(e));
      } catch (IllegalArgumentException bad) {
        ex.notes().add("malformed_chunk:" + bad.getMessage());
        if (ex.policy().onError() == OnError.BLOCK) {
          return null;
        }
        out.add(StreamChunk.opaque(e));
      }
    }
    return out;
  }

  /** Writes a step's events, or ends the stream on a block; returns true when the stream is over. */
  private boolean apply(AsyncResult<StreamScanner.Step> ar) {
    if (res.ended()) {
      return true;
    }
    if (ar.failed()) {
      fail("internal_error", "internal error: " + ar.cause());
      return true;
    }
    for (SseEvent e : ar.result().release()) {
      res.write(e.encode());
    }
    ScanResult blocked = ar.result().blocked();
    if (blocked == null) {
      return false;
    }
    ex.response(blocked);
    ex.notes().add("stream_blocked");
    writeError(ErrorBodies.blocked(format, blocked, ex.requestId()));
    res.end();
    up.request().reset();
    done.accept(ex);
    return true;
  }

  private void fail(String code, String message) {
    ex.notes().add("stream_failed:" + code);
    ex.response(scanner.summary());
    if (!res.ended()) {
      writeError(format.errorBody(GatewayException.GUARDRAIL, code, message, ex.requestId(), List.of()));
      res.end();
    }
    up.request().reset();
    done.accept(ex);
  }

  private void writeError(ObjectNode body) {
    res.write(format.streamErrorEvent(body).encode());
  }
}

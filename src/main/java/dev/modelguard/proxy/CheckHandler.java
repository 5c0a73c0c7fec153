package dev.modelguard.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelguard.api.CheckResults;
import dev.modelguard.api.JsonText;
import dev.modelguard.api.Jsons;
import dev.modelguard.api.OpenAiChat;
import dev.modelguard.guard.Direction;
import dev.modelguard.guard.Segment;
import dev.modelguard.policy.Action;
import dev.modelguard.policy.Policy;
import dev.modelguard.policy.PolicyEngine;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * {@code POST /v1/guard/check} (SPEC section 5): scans a text or an OpenAI {@code messages} array
 * under a policy without calling any upstream. Decisions are audited like proxied ones.
 */
public final class CheckHandler implements Handler<RoutingContext> {
  private final PolicyLookup policies;
  private final PolicyEngine engine;
  private final Consumer<Exchange> auditor;
  private final LiveConfig config;

  public CheckHandler(PolicyLookup policies, LiveConfig config, PolicyEngine engine, Consumer<Exchange> auditor) {
    this.config = config;
    this.policies = policies;
    this.engine = engine;
    this.auditor = auditor;
  }

  @Override
  public void handle(RoutingContext ctx) {
    Exchange ex = new Exchange(ctx.request().path());
    ctx.response().putHeader(ProxyHandler.REQUEST_ID_HEADER, ex.requestId());
    long started = System.nanoTime();
    try {
      String contentType = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
      if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("application/json")) {
        throw GatewayException.badRequest(415, "unsupported_media_type", "Content-Type must be application/json");
      }
      ObjectNode body = Jsons.parseObject(ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes());
      Direction direction;
      try {
        direction = Direction.parse(body.path("direction").asText("prompt"));
      } catch (IllegalArgumentException e) {
        throw GatewayException.badRequest(400, "invalid_field", "'direction': " + e.getMessage());
      }
      LiveConfig.Snapshot snapshot = config.current();
      var key = snapshot.tenancy().resolve(ctx.request());
      ex.key(key.orElse(null));
      String name = body.path("policy").asText(Tenancy.policyFor(key, snapshot.config().defaultPolicy()));
      Policy policy = policies.find(name).orElseThrow(() -> GatewayException.badRequest(400, "unknown_policy",
          "'policy': no policy named '" + name + "' is loaded"));
      ex.policy(policy);
      JsonNode text = body.get("text");
      JsonNode messages = body.get("messages");
      boolean single = text != null && !text.isNull();
      List<Segment> segments;
      if (single) {
        if (!text.isTextual()) {
          throw GatewayException.badRequest(400, "invalid_field", "'text' must be a string");
        }
        segments = List.of(Segment.of(direction, text.textValue()));
      } else if (messages != null) {
        ObjectNode wrapper = Jsons.MAPPER.createObjectNode();
        wrapper.set("messages", messages);
        segments = new OpenAiChat().promptSegments(wrapper).stream()
            .map(s -> Segment.of(direction, s.role(), s.path(), s.text())).toList();
      } else {
        throw GatewayException.badRequest(400, "missing_field", "one of 'text' or 'messages' is required");
      }
      engine.scan(policy, direction, segments, ex.redactor()).onComplete(ar -> {
        if (ar.failed()) {
          respondError(ctx, ex, new GatewayException(500, GatewayException.INTERNAL, "internal_error",
              "internal error: " + ar.cause()));
          return;
        }
        if (direction == Direction.PROMPT) {
          ex.prompt(ar.result());
        } else {
          ex.response(ar.result());
        }
        ObjectNode out = CheckResults.toJson(ar.result(), single, (System.nanoTime() - started) / 1e6);
        if (!single && ar.result().verdict() == Action.REDACT) {
          ArrayNode copy = (ArrayNode) messages.deepCopy();
          ObjectNode holder = Jsons.MAPPER.createObjectNode();
          holder.set("messages", copy);
          ar.result().redacted().forEach((i, t) -> JsonText.replace(holder, ar.result().segments().get(i).path(), t));
          out.set("redacted_messages", copy);
        }
        ex.status(200);
        ctx.response().setStatusCode(200).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
            .putHeader(ProxyHandler.VERDICT_HEADER, ar.result().verdict().wireName())
            .end(io.vertx.core.buffer.Buffer.buffer(Jsons.bytes(out)));
        audit(ex);
      });
    } catch (GatewayException e) {
      respondError(ctx, ex, e);
    }
  }

  private void respondError(RoutingContext ctx, Exchange ex, GatewayException e) {
    ex.status(e.status());
    ex.notes().add("error:" + e.code());
    ctx.response().setStatusCode(e.status()).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(ErrorBodies.of(null, e, ex.requestId()));
    audit(ex);
  }

  private void audit(Exchange ex) {
    if (ex.finish()) {
      auditor.accept(ex);
    }
  }
}

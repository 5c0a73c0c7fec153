package dev.modelguard.proxy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelguard.api.Jsons;
import dev.modelguard.guard.Direction;
import dev.modelguard.policy.ScanResult;
import io.vertx.core.buffer.Buffer;
import java.util.List;

/** The OpenAI-style error body of SPEC section 4, used for every answer the gateway makes itself. */
public final class ErrorBodies {
  private ErrorBodies() {}

  /** {@code {"error": {message, type, code, param, request_id, categories}}}. */
  public static ObjectNode error(String message, String type, String code, String requestId, List<String> categories) {
    ObjectNode root = Jsons.MAPPER.createObjectNode();
    ObjectNode error = root.putObject("error");
    error.put("message", message);
    error.put("type", type);
    error.put("code", code);
    error.putNull("param");
    error.put("request_id", requestId);
    ArrayNode cats = error.putArray("categories");
    categories.forEach(cats::add);
    return root;
  }

  /** The body for a {@link GatewayException}. */
  public static Buffer of(GatewayException e, String requestId) {
    return Buffer.buffer(Jsons.bytes(error(e.getMessage(), e.type(), e.code(), requestId, List.of())));
  }

  /** The body for a blocked request or response. */
  public static Buffer blocked(ScanResult result, String requestId) {
    List<String> codes = result.blockCodes();
    String what = result.direction() == Direction.PROMPT ? "Request" : "Response";
    String message = what + " blocked by policy '" + result.policy().name() + "': " + String.join(", ", codes);
    return Buffer.buffer(Jsons.bytes(error(message, GatewayException.GUARDRAIL, codes.isEmpty() ? "blocked" : codes.get(0),
        requestId, result.categories())));
  }
}

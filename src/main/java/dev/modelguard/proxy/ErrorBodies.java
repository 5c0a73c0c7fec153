package dev.modelguard.proxy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelguard.api.Jsons;
import dev.modelguard.api.OpenAiChat;
import dev.modelguard.api.WireFormat;
import dev.modelguard.guard.Direction;
import dev.modelguard.policy.ScanResult;
import io.vertx.core.buffer.Buffer;
import java.util.List;

/**
 * The error bodies the gateway writes itself (SPEC section 4), in the shape of the API the client
 * called: OpenAI's {@code {"error": {...}}} by default, Anthropic's on {@code /v1/messages}.
 */
public final class ErrorBodies {
  private static final WireFormat DEFAULT = new OpenAiChat();

  private ErrorBodies() {}

  /** The body for a {@link GatewayException}; {@code format} may be null (path not understood). */
  public static Buffer of(WireFormat format, GatewayException e, String requestId) {
    return Buffer.buffer(Jsons.bytes(orDefault(format).errorBody(e.type(), e.code(), e.getMessage(), requestId,
        List.of())));
  }

  /** The error object for a blocked request or response. */
  public static ObjectNode blocked(WireFormat format, ScanResult result, String requestId) {
    List<String> codes = result.blockCodes();
    String what = result.direction() == Direction.PROMPT ? "Request" : "Response";
    String message = what + " blocked by policy '" + result.policy().name() + "': " + String.join(", ", codes);
    return orDefault(format).errorBody(GatewayException.GUARDRAIL, codes.isEmpty() ? "blocked" : codes.get(0), message,
        requestId, result.categories());
  }

  private static WireFormat orDefault(WireFormat format) {
    return format == null ? DEFAULT : format;
  }
}

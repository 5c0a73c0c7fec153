package dev.modelguard.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelguard.guard.Segment;
import java.util.List;

/**
 * One LLM API's wire format: where the texts are in its request and response bodies. Stateless
 * and thread-safe; one shared instance per format.
 *
 * <p>Every segment carries the JSON pointer of its text, so redactions are written back with
 * {@link JsonText#replace} whatever the format.
 */
public interface WireFormat {

  /** Short name used in logs and audit events ({@code openai.chat}, {@code anthropic.messages}). */
  String name();

  /**
   * Every text the model will read, in order.
   *
   * @throws dev.modelguard.proxy.GatewayException (400, {@code invalid_request_error}) naming the
   *     missing or malformed field
   */
  List<Segment> promptSegments(ObjectNode request);

  /** Every text the model wrote in a non-streamed response body. */
  List<Segment> responseSegments(JsonNode response);

  /** True when the request asks for a streamed (SSE) response. */
  default boolean streaming(ObjectNode request) {
    return request.path("stream").asBoolean(false);
  }
}

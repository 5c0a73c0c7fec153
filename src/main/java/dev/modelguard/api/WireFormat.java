package dev.modelguard.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelguard.api.sse.SseEvent;
import dev.modelguard.api.sse.StreamChunk;
import dev.modelguard.guard.Segment;
import java.util.List;

/**
 * One LLM API's wire format: where the texts are in its request bodies, response bodies and
 * streamed events, and how it spells an error. Stateless and thread-safe; one shared instance per
 * format.
 *
 * <p>Every segment and stream piece carries the JSON pointer of its text, so redactions are
 * written back with {@link JsonText#replace} whatever the format.
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

  /**
   * The model text in one streamed event.
   *
   * @throws IllegalArgumentException when the event's data is not what this API sends (a
   *     malformed chunk), with a message saying why
   */
  default StreamChunk streamChunk(SseEvent event) {
    return StreamChunk.opaque(event);
  }

  /**
   * True when {@link #streamChunk} knows where this API's streamed text is; false for formats that
   * relay streams as opaque events (their audit event says the stream was not scanned).
   */
  default boolean scansStreams() {
    return true;
  }

  /** The error body of this API: OpenAI's {@code {"error": {...}}} unless overridden. */
  default ObjectNode errorBody(String type, String code, String message, String requestId, List<String> categories) {
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

  /** The event that ends a blocked stream: OpenAI's {@code data: {"error": {...}}} unless overridden. */
  default SseEvent streamErrorEvent(ObjectNode errorBody) {
    return new SseEvent(null, errorBody.toString(), null);
  }

  /** Parses an event's JSON data, or fails as a malformed chunk. */
  static JsonNode parseData(SseEvent event) {
    if (event.data() == null) {
      throw new IllegalArgumentException("event '" + event.event() + "' has no data");
    }
    try {
      JsonNode node = Jsons.MAPPER.readTree(event.data());
      if (node == null || !node.isObject()) {
        throw new IllegalArgumentException("event data is not a JSON object");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("event data is not valid JSON: " + e.getOriginalMessage());
    }
  }
}

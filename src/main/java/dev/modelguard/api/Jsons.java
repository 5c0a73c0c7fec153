package dev.modelguard.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelguard.proxy.GatewayException;

/** The gateway's shared JSON mapper (thread-safe once configured) and strict body parsing. */
public final class Jsons {
  public static final ObjectMapper MAPPER = JsonMapper.builder().build();

  static {
    MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(200).build());
  }

  private Jsons() {}

  /**
   * Parses a request body that must be one JSON object.
   *
   * @throws GatewayException 400 naming the parse error's line and column
   */
  public static ObjectNode parseObject(byte[] body) {
    JsonNode node;
    try {
      node = MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      var loc = e.getLocation();
      String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
      throw GatewayException.badRequest(400, "invalid_json", "request body is not valid JSON" + where + ": "
          + e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw GatewayException.badRequest(400, "invalid_json", "request body could not be read: " + e.getMessage());
    }
    if (node == null || node.isMissingNode()) {
      throw GatewayException.badRequest(400, "invalid_json", "request body is empty; a JSON object is required");
    }
    if (!(node instanceof ObjectNode o)) {
      throw GatewayException.badRequest(400, "invalid_json", "request body must be a JSON object, not " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
    }
    return o;
  }

  /** Serialises a tree to bytes; a tree built by this code always serialises. */
  public static byte[] bytes(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise JSON tree", e);
    }
  }
}

package dev.modelguard.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelguard.api.sse.SseEvent;
import dev.modelguard.api.sse.StreamChunk;
import dev.modelguard.api.sse.StreamPiece;
import dev.modelguard.guard.Direction;
import dev.modelguard.guard.Segment;
import dev.modelguard.proxy.GatewayException;
import java.util.ArrayList;
import java.util.List;

/**
 * Anthropic {@code POST /v1/messages}: {@code system} (string or text blocks) and every message's
 * content (string, text blocks, earlier {@code tool_use} inputs, {@code tool_result} contents) are
 * prompt segments; the answer's text, thinking and tool-use input are response segments. Streams
 * are the {@code message_start} / {@code content_block_delta} / {@code message_stop} family, one
 * channel per content block. Errors use Anthropic's shape:
 * {@code {"type": "error", "error": {"type": ..., "message": ...}}}.
 */
public final class AnthropicMessages implements WireFormat {

  @Override
  public String name() {
    return "anthropic.messages";
  }

  @Override
  public List<Segment> promptSegments(ObjectNode request) {
    List<Segment> out = new ArrayList<>();
    JsonNode system = request.get("system");
    if (system != null && system.isTextual()) {
      JsonText.addText(out, Direction.PROMPT, "system", "/system", system);
    } else if (system != null && system.isArray()) {
      for (int i = 0; i < system.size(); i++) {
        JsonText.addText(out, Direction.PROMPT, "system", "/system/" + i + "/text", system.get(i).get("text"));
      }
    }
    JsonNode messages = request.get("messages");
    if (messages == null || messages.isNull()) {
      throw GatewayException.badRequest(400, "missing_field", "'messages' is required");
    }
    if (!messages.isArray() || messages.isEmpty()) {
      throw GatewayException.badRequest(400, "invalid_field", "'messages' must be a non-empty array");
    }
    for (int i = 0; i < messages.size(); i++) {
      JsonNode m = messages.get(i);
      String role = m.path("role").asText("");
      if (role.isEmpty()) {
        throw GatewayException.badRequest(400, "missing_field", "'messages[" + i + "].role' is required");
      }
      JsonNode content = m.get("content");
      String at = "/messages/" + i + "/content";
      if (content != null && content.isTextual()) {
        JsonText.addText(out, Direction.PROMPT, role, at, content);
      } else if (content != null && content.isArray()) {
        blocks(out, Direction.PROMPT, role, at, content);
      } else {
        throw GatewayException.badRequest(400, "invalid_field", "'messages[" + i + "].content' must be a string or an array of blocks");
      }
    }
    JsonNode tools = request.path("tools");
    for (int i = 0; i < tools.size(); i++) {
      JsonText.addText(out, Direction.PROMPT, "tool_definition", "/tools/" + i + "/description",
          tools.get(i).get("description"));
    }
    return out;
  }

  private static void blocks(List<Segment> out, Direction direction, String role, String at, JsonNode content) {
    for (int j = 0; j < content.size(); j++) {
      JsonNode block = content.get(j);
      String p = at + "/" + j;
      switch (block.path("type").asText("")) {
        case "tool_use" -> JsonText.addStringLeaves(out, direction, "tool_call", p + "/input", block.get("input"));
        case "tool_result" -> {
          JsonNode c = block.get("content");
          if (c != null && c.isTextual()) {
            JsonText.addText(out, direction, "tool", p + "/content", c);
          } else if (c != null && c.isArray()) {
            blocks(out, direction, "tool", p + "/content", c);
          }
        }
        case "thinking" -> JsonText.addText(out, direction, role, p + "/thinking", block.get("thinking"));
        default -> JsonText.addText(out, direction, role, p + "/text", block.get("text"));
      }
    }
  }

  @Override
  public List<Segment> responseSegments(JsonNode response) {
    List<Segment> out = new ArrayList<>();
    blocks(out, Direction.RESPONSE, "assistant", "/content", response.path("content"));
    return out;
  }

  @Override
  public StreamChunk streamChunk(SseEvent event) {
    JsonNode json = WireFormat.parseData(event);
    List<StreamPiece> pieces = new ArrayList<>();
    String type = json.path("type").asText(event.event() == null ? "" : event.event());
    String channel = "b" + json.path("index").asInt(0);
    if (type.equals("content_block_delta")) {
      JsonNode delta = json.path("delta");
      OpenAiChat.addPiece(pieces, channel, "/delta/text", delta.get("text"));
      OpenAiChat.addPiece(pieces, channel, "/delta/partial_json", delta.get("partial_json"));
      OpenAiChat.addPiece(pieces, channel + ".thinking", "/delta/thinking", delta.get("thinking"));
    } else if (type.equals("content_block_start")) {
      JsonNode block = json.path("content_block");
      OpenAiChat.addPiece(pieces, channel, "/content_block/text", block.get("text"));
      OpenAiChat.addPiece(pieces, channel + ".thinking", "/content_block/thinking", block.get("thinking"));
    }
    return new StreamChunk(event, json, pieces);
  }

  @Override
  public ObjectNode errorBody(String type, String code, String message, String requestId, List<String> categories) {
    ObjectNode root = Jsons.MAPPER.createObjectNode();
    root.put("type", "error");
    ObjectNode error = root.putObject("error");
    error.put("type", type);
    error.put("message", message);
    error.put("code", code);
    ArrayNode cats = error.putArray("categories");
    categories.forEach(cats::add);
    root.put("request_id", requestId);
    return root;
  }

  @Override
  public SseEvent streamErrorEvent(ObjectNode errorBody) {
    return new SseEvent("error", errorBody.toString(), null);
  }
}

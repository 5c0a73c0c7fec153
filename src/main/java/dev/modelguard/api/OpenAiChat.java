package dev.modelguard.api;

import com.fasterxml.jackson.databind.JsonNode;
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
 * OpenAI {@code POST /v1/chat/completions} (and the many compatible servers): system, developer,
 * user, assistant and tool messages (string or multi-part content), assistant tool-call arguments
 * and tool descriptions are prompt segments; each choice's content, refusal, reasoning text and
 * tool-call arguments are response segments, in whole answers and in stream chunks.
 */
public final class OpenAiChat implements WireFormat {

  /** Message fields that hold text the model wrote, besides {@code content}. */
  private static final List<String> EXTRA_TEXT_FIELDS = List.of("refusal", "reasoning_content");

  @Override
  public String name() {
    return "openai.chat";
  }

  @Override
  public List<Segment> promptSegments(ObjectNode request) {
    JsonNode messages = request.get("messages");
    if (messages == null || messages.isNull()) {
      throw GatewayException.badRequest(400, "missing_field", "'messages' is required");
    }
    if (!messages.isArray() || messages.isEmpty()) {
      throw GatewayException.badRequest(400, "invalid_field", "'messages' must be a non-empty array");
    }
    List<Segment> out = new ArrayList<>();
    for (int i = 0; i < messages.size(); i++) {
      JsonNode m = messages.get(i);
      String at = "/messages/" + i;
      if (!m.isObject()) {
        throw GatewayException.badRequest(400, "invalid_field", "'messages[" + i + "]' must be an object");
      }
      String role = m.path("role").asText("");
      if (role.isEmpty()) {
        throw GatewayException.badRequest(400, "missing_field", "'messages[" + i + "].role' is required");
      }
      addContent(out, Direction.PROMPT, role, at + "/content", m.get("content"), "messages[" + i + "].content");
      addToolCalls(out, Direction.PROMPT, at, m.get("tool_calls"));
    }
    JsonNode tools = request.path("tools");
    for (int i = 0; i < tools.size(); i++) {
      JsonText.addText(out, Direction.PROMPT, "tool_definition", "/tools/" + i + "/function/description",
          tools.get(i).path("function").get("description"));
    }
    return out;
  }

  @Override
  public List<Segment> responseSegments(JsonNode response) {
    List<Segment> out = new ArrayList<>();
    JsonNode choices = response.path("choices");
    for (int i = 0; i < choices.size(); i++) {
      String at = "/choices/" + i + "/message";
      JsonNode message = choices.get(i).path("message");
      addContent(out, Direction.RESPONSE, "assistant", at + "/content", message.get("content"), null);
      for (String field : EXTRA_TEXT_FIELDS) {
        JsonText.addText(out, Direction.RESPONSE, "assistant", at + "/" + field, message.get(field));
      }
      addToolCalls(out, Direction.RESPONSE, at, message.get("tool_calls"));
    }
    return out;
  }

  @Override
  public StreamChunk streamChunk(SseEvent event) {
    return choicesChunk(event, (pieces, choice, channel, at) -> {
      JsonNode delta = choice.path("delta");
      addPiece(pieces, channel, at + "/delta/content", delta.get("content"));
      for (String field : EXTRA_TEXT_FIELDS) {
        addPiece(pieces, channel + "." + field, at + "/delta/" + field, delta.get(field));
      }
      JsonNode calls = delta.path("tool_calls");
      for (int k = 0; k < calls.size(); k++) {
        addPiece(pieces, channel + ".tool" + calls.get(k).path("index").asInt(k),
            at + "/delta/tool_calls/" + k + "/function/arguments", calls.get(k).path("function").get("arguments"));
      }
    });
  }

  /** What one choice of an OpenAI-style stream chunk contributes. */
  interface ChoicePieces {
    /**
     * @param channel {@code choice<index>}
     * @param at the choice's JSON pointer ({@code /choices/<i>})
     */
    void add(List<StreamPiece> pieces, JsonNode choice, String channel, String at);
  }

  /** An OpenAI-style stream chunk: {@code [DONE]} carries no text; otherwise each choice adds its pieces. */
  static StreamChunk choicesChunk(SseEvent event, ChoicePieces perChoice) {
    if ("[DONE]".equals(event.data())) {
      return StreamChunk.opaque(event);
    }
    JsonNode json = WireFormat.parseData(event);
    List<StreamPiece> pieces = new ArrayList<>();
    JsonNode choices = json.path("choices");
    for (int i = 0; i < choices.size(); i++) {
      JsonNode choice = choices.get(i);
      perChoice.add(pieces, choice, "choice" + choice.path("index").asInt(i), "/choices/" + i);
    }
    return new StreamChunk(event, json, pieces);
  }

  static void addPiece(List<StreamPiece> pieces, String channel, String pointer, JsonNode node) {
    if (node != null && node.isTextual() && !node.textValue().isEmpty()) {
      pieces.add(new StreamPiece(channel, pointer, node.textValue(), false));
    }
  }

  /** Content may be a string, null, or an array of parts of which the {@code text} ones are read. */
  static void addContent(List<Segment> out, Direction direction, String role, String pointer, JsonNode content,
      String field) {
    if (content == null || content.isNull()) {
      return;
    }
    if (content.isTextual()) {
      JsonText.addText(out, direction, role, pointer, content);
    } else if (content.isArray()) {
      for (int j = 0; j < content.size(); j++) {
        JsonNode part = content.get(j);
        JsonText.addText(out, direction, role, pointer + "/" + j + "/text", part.get("text"));
      }
    } else if (field != null) {
      throw GatewayException.badRequest(400, "invalid_field", "'" + field + "' must be a string or an array of parts");
    }
  }

  private static void addToolCalls(List<Segment> out, Direction direction, String at, JsonNode toolCalls) {
    if (toolCalls == null || !toolCalls.isArray()) {
      return;
    }
    for (int k = 0; k < toolCalls.size(); k++) {
      JsonText.addText(out, direction, "tool_call", at + "/tool_calls/" + k + "/function/arguments",
          toolCalls.get(k).path("function").get("arguments"));
    }
  }
}

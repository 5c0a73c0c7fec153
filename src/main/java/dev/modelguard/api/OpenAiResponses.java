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
 * OpenAI {@code POST /v1/responses}: {@code instructions} and every {@code input} item (messages
 * with text parts, function-call outputs, earlier function calls) are prompt segments; each output
 * item's text, refusal, reasoning summary and function-call arguments are response segments.
 *
 * <p>In the event stream, {@code *.delta} events extend a channel ({@code o0.c0} is output item 0,
 * content part 0), and the {@code *.done}, {@code output_item.done} and {@code response.completed}
 * events repeat the whole text as snapshots, which are rewritten or withheld like the deltas.
 */
public final class OpenAiResponses implements WireFormat {

  @Override
  public String name() {
    return "openai.responses";
  }

  @Override
  public List<Segment> promptSegments(ObjectNode request) {
    List<Segment> out = new ArrayList<>();
    JsonText.addText(out, Direction.PROMPT, "system", "/instructions", request.get("instructions"));
    JsonNode input = request.get("input");
    if (input == null || input.isNull()) {
      throw GatewayException.badRequest(400, "missing_field", "'input' is required");
    }
    if (input.isTextual()) {
      JsonText.addText(out, Direction.PROMPT, "user", "/input", input);
    } else if (input.isArray()) {
      for (int i = 0; i < input.size(); i++) {
        JsonNode item = input.get(i);
        String at = "/input/" + i;
        String type = item.path("type").asText("message");
        switch (type) {
          case "function_call_output" -> JsonText.addText(out, Direction.PROMPT, "tool", at + "/output", item.get("output"));
          case "function_call" -> JsonText.addText(out, Direction.PROMPT, "tool_call", at + "/arguments",
              item.get("arguments"));
          default -> OpenAiChat.addContent(out, Direction.PROMPT, item.path("role").asText("user"), at + "/content",
              item.get("content"), "input[" + i + "].content");
        }
      }
    } else {
      throw GatewayException.badRequest(400, "invalid_field", "'input' must be a string or an array of items");
    }
    JsonNode tools = request.path("tools");
    for (int i = 0; i < tools.size(); i++) {
      JsonText.addText(out, Direction.PROMPT, "tool_definition", "/tools/" + i + "/description",
          tools.get(i).get("description"));
    }
    return out;
  }

  @Override
  public List<Segment> responseSegments(JsonNode response) {
    List<Segment> out = new ArrayList<>();
    JsonNode output = response.path("output");
    for (int i = 0; i < output.size(); i++) {
      JsonNode item = output.get(i);
      String at = "/output/" + i;
      JsonText.addText(out, Direction.RESPONSE, "tool_call", at + "/arguments", item.get("arguments"));
      JsonNode content = item.path("content");
      for (int j = 0; j < content.size(); j++) {
        JsonText.addText(out, Direction.RESPONSE, "assistant", at + "/content/" + j + "/text", content.get(j).get("text"));
        JsonText.addText(out, Direction.RESPONSE, "assistant", at + "/content/" + j + "/refusal",
            content.get(j).get("refusal"));
      }
      JsonNode summary = item.path("summary");
      for (int j = 0; j < summary.size(); j++) {
        JsonText.addText(out, Direction.RESPONSE, "reasoning", at + "/summary/" + j + "/text", summary.get(j).get("text"));
      }
    }
    return out;
  }

  @Override
  public StreamChunk streamChunk(SseEvent event) {
    JsonNode json = WireFormat.parseData(event);
    List<StreamPiece> pieces = new ArrayList<>();
    String type = json.path("type").asText(event.event() == null ? "" : event.event());
    String item = "o" + json.path("output_index").asInt(0);
    String part = item + ".c" + json.path("content_index").asInt(0);
    switch (type) {
      case "response.output_text.delta" -> delta(pieces, part, "/delta", json);
      case "response.refusal.delta" -> delta(pieces, part + ".refusal", "/delta", json);
      case "response.function_call_arguments.delta" -> delta(pieces, item + ".args", "/delta", json);
      case "response.reasoning_summary_text.delta" ->
          delta(pieces, item + ".s" + json.path("summary_index").asInt(0), "/delta", json);
      case "response.output_text.done" -> snapshot(pieces, part, "/text", json.get("text"));
      case "response.refusal.done" -> snapshot(pieces, part + ".refusal", "/refusal", json.get("refusal"));
      case "response.function_call_arguments.done" -> snapshot(pieces, item + ".args", "/arguments", json.get("arguments"));
      case "response.reasoning_summary_text.done" ->
          snapshot(pieces, item + ".s" + json.path("summary_index").asInt(0), "/text", json.get("text"));
      case "response.content_part.done" -> {
        snapshot(pieces, part, "/part/text", json.path("part").get("text"));
        snapshot(pieces, part + ".refusal", "/part/refusal", json.path("part").get("refusal"));
      }
      case "response.output_item.done" -> itemSnapshots(pieces, item, "/item", json.path("item"));
      case "response.completed", "response.incomplete", "response.failed" -> {
        JsonNode output = json.path("response").path("output");
        for (int i = 0; i < output.size(); i++) {
          itemSnapshots(pieces, "o" + i, "/response/output/" + i, output.get(i));
        }
      }
      default -> {
        // Lifecycle events (created, in_progress, output_item.added...) carry no model text yet.
      }
    }
    return new StreamChunk(event, json, pieces);
  }

  private static void itemSnapshots(List<StreamPiece> pieces, String item, String at, JsonNode node) {
    snapshot(pieces, item + ".args", at + "/arguments", node.get("arguments"));
    JsonNode content = node.path("content");
    for (int j = 0; j < content.size(); j++) {
      snapshot(pieces, item + ".c" + j, at + "/content/" + j + "/text", content.get(j).get("text"));
      snapshot(pieces, item + ".c" + j + ".refusal", at + "/content/" + j + "/refusal", content.get(j).get("refusal"));
    }
    JsonNode summary = node.path("summary");
    for (int j = 0; j < summary.size(); j++) {
      snapshot(pieces, item + ".s" + j, at + "/summary/" + j + "/text", summary.get(j).get("text"));
    }
  }

  private static void delta(List<StreamPiece> pieces, String channel, String pointer, JsonNode json) {
    OpenAiChat.addPiece(pieces, channel, pointer, json.get("delta"));
  }

  private static void snapshot(List<StreamPiece> pieces, String channel, String pointer, JsonNode node) {
    if (node != null && node.isTextual() && !node.textValue().isEmpty()) {
      pieces.add(new StreamPiece(channel, pointer, node.textValue(), true));
    }
  }

  @Override
  public SseEvent streamErrorEvent(ObjectNode errorBody) {
    JsonNode error = errorBody.path("error");
    ObjectNode data = Jsons.MAPPER.createObjectNode();
    data.put("type", "error");
    data.put("code", error.path("code").asText());
    data.put("message", error.path("message").asText());
    data.putNull("param");
    data.set("error", error);
    return new SseEvent("error", data.toString(), null);
  }
}

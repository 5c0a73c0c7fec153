package dev.modelguard.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelguard.api.sse.SseEvent;
import dev.modelguard.api.sse.StreamChunk;
import dev.modelguard.guard.Direction;
import dev.modelguard.guard.Segment;
import java.util.ArrayList;
import java.util.List;

/** OpenAI legacy {@code POST /v1/completions}: {@code prompt} (and {@code suffix}) in, {@code choices[].text} out. */
public final class OpenAiCompletions implements WireFormat {

  @Override
  public String name() {
    return "openai.completions";
  }

  @Override
  public List<Segment> promptSegments(ObjectNode request) {
    List<Segment> out = new ArrayList<>();
    JsonText.addStringOrArray(out, "prompt", request.get("prompt"), true);
    JsonText.addText(out, Direction.PROMPT, "user", "/suffix", request.get("suffix"));
    return out;
  }

  @Override
  public StreamChunk streamChunk(SseEvent event) {
    return OpenAiChat.choicesChunk(event,
        (pieces, choice, channel, at) -> OpenAiChat.addPiece(pieces, channel, at + "/text", choice.get("text")));
  }

  @Override
  public List<Segment> responseSegments(JsonNode response) {
    List<Segment> out = new ArrayList<>();
    JsonNode choices = response.path("choices");
    for (int i = 0; i < choices.size(); i++) {
      JsonText.addText(out, Direction.RESPONSE, "assistant", "/choices/" + i + "/text", choices.get(i).get("text"));
    }
    return out;
  }
}

package dev.modelguard.api.sse;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelguard.api.JsonText;
import java.util.List;
import java.util.Map;

/**
 * One upstream event, parsed: its JSON data (null for non-JSON data such as {@code [DONE]}) and the
 * model text pieces in it.
 */
public record StreamChunk(SseEvent event, JsonNode json, List<StreamPiece> pieces) {

  /** A chunk without model text, relayed as it is. */
  public static StreamChunk opaque(SseEvent event) {
    return new StreamChunk(event, null, List.of());
  }

  /** The event with some pieces' text replaced (index into {@link #pieces()} to new text). */
  public SseEvent rewrite(Map<Integer, String> replacements) {
    if (replacements.isEmpty() || json == null) {
      return event;
    }
    JsonNode copy = json.deepCopy();
    replacements.forEach((i, text) -> JsonText.replace(copy, pieces.get(i).pointer(), text));
    return new SseEvent(event.event(), copy.toString(), event.id());
  }
}

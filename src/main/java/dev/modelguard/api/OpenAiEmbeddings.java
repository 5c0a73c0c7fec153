package dev.modelguard.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelguard.guard.Segment;
import java.util.ArrayList;
import java.util.List;

/**
 * OpenAI {@code POST /v1/embeddings}: {@code input} is a prompt (it leaves the building, so PII and
 * secrets matter); the response holds vectors, no text.
 */
public final class OpenAiEmbeddings implements WireFormat {

  @Override
  public String name() {
    return "openai.embeddings";
  }

  @Override
  public List<Segment> promptSegments(ObjectNode request) {
    List<Segment> out = new ArrayList<>();
    JsonText.addStringOrArray(out, "input", request.get("input"), true);
    return out;
  }

  @Override
  public List<Segment> responseSegments(JsonNode response) {
    return List.of();
  }

  @Override
  public boolean streaming(ObjectNode request) {
    return false;
  }
}

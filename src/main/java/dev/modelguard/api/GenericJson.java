package dev.modelguard.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelguard.config.GatewayConfig.JsonApi;
import dev.modelguard.guard.Direction;
import dev.modelguard.guard.Segment;
import java.util.ArrayList;
import java.util.List;

/**
 * A JSON API the gateway does not know, guarded through the JSON pointers of a route's
 * {@code api:} block (a {@code *} segment matches every array element or object member). Streams
 * are relayed as opaque events: only whole answers are scanned for such APIs.
 */
public final class GenericJson implements WireFormat {
  private final JsonApi api;

  public GenericJson(JsonApi api) {
    this.api = api;
  }

  @Override
  public String name() {
    return "generic.json";
  }

  @Override
  public boolean scansStreams() {
    return false;
  }

  @Override
  public List<Segment> promptSegments(ObjectNode request) {
    List<Segment> out = new ArrayList<>();
    for (String pointer : api.prompt()) {
      select(out, Direction.PROMPT, request, pointer.substring(1).split("/", -1), 0, "");
    }
    return out;
  }

  @Override
  public List<Segment> responseSegments(JsonNode response) {
    List<Segment> out = new ArrayList<>();
    for (String pointer : api.response()) {
      select(out, Direction.RESPONSE, response, pointer.substring(1).split("/", -1), 0, "");
    }
    return out;
  }

  private static void select(List<Segment> out, Direction direction, JsonNode node, String[] parts, int i, String at) {
    if (node == null || node.isMissingNode() || node.isNull()) {
      return;
    }
    if (i == parts.length) {
      JsonText.addStringLeaves(out, direction, direction == Direction.PROMPT ? "user" : "assistant", at, node);
      return;
    }
    String part = parts[i];
    if (part.equals("*")) {
      if (node.isArray()) {
        for (int k = 0; k < node.size(); k++) {
          select(out, direction, node.get(k), parts, i + 1, at + "/" + k);
        }
      } else if (node.isObject()) {
        node.properties().forEach(e -> select(out, direction, e.getValue(), parts, i + 1,
            at + "/" + escape(e.getKey())));
      }
      return;
    }
    String key = part.replace("~1", "/").replace("~0", "~");
    if (node.isArray()) {
      try {
        int index = Integer.parseInt(key);
        select(out, direction, node.get(index), parts, i + 1, at + "/" + index);
      } catch (NumberFormatException e) {
        // A member name on an array selects nothing, as a JSON pointer would.
      }
    } else {
      select(out, direction, node.get(key), parts, i + 1, at + "/" + escape(key));
    }
  }

  private static String escape(String key) {
    return key.replace("~", "~0").replace("/", "~1");
  }
}

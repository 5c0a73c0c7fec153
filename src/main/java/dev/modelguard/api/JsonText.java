package dev.modelguard.api;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.modelguard.guard.Direction;
import dev.modelguard.guard.Segment;
import dev.modelguard.proxy.GatewayException;
import java.util.List;

/** Helpers shared by the wire formats: reading text fields into segments and writing text back by pointer. */
public final class JsonText {
  private JsonText() {}

  /** Replaces the string at {@code pointer} inside {@code root}. */
  public static void replace(JsonNode root, String pointer, String text) {
    JsonPointer p = JsonPointer.compile(pointer);
    JsonNode parent = root.at(p.head());
    String last = p.last().getMatchingProperty();
    if (parent instanceof ObjectNode o) {
      o.set(last, TextNode.valueOf(text));
    } else if (parent instanceof ArrayNode a) {
      a.set(p.last().getMatchingIndex(), TextNode.valueOf(text));
    } else {
      throw new IllegalArgumentException("no container at " + p.head() + " for " + pointer);
    }
  }

  /** Adds a segment for the string at {@code node}, if it is a non-empty string. */
  public static void addText(List<Segment> out, Direction direction, String role, String pointer, JsonNode node) {
    if (node != null && node.isTextual() && !node.textValue().isEmpty()) {
      out.add(Segment.of(direction, role, pointer, node.textValue()));
    }
  }

  /**
   * Adds a segment for every non-empty string inside {@code node} (objects and arrays walked
   * depth-first), for structured text such as Anthropic's tool-use {@code input}.
   */
  public static void addStringLeaves(List<Segment> out, Direction direction, String role, String pointer, JsonNode node) {
    if (node == null) {
      return;
    }
    if (node.isTextual()) {
      addText(out, direction, role, pointer, node);
    } else if (node.isObject()) {
      node.properties().forEach(e -> addStringLeaves(out, direction, role,
          pointer + "/" + e.getKey().replace("~", "~0").replace("/", "~1"), e.getValue()));
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        addStringLeaves(out, direction, role, pointer + "/" + i, node.get(i));
      }
    }
  }

  /**
   * Adds segments for a prompt input that may be a string or an array of strings (OpenAI
   * {@code prompt} / {@code input}). Token-id arrays cannot be scanned, so they are refused rather
   * than let through unguarded.
   */
  public static void addStringOrArray(List<Segment> out, String field, JsonNode node, boolean required) {
    if (node == null || node.isMissingNode() || node.isNull()) {
      if (required) {
        throw GatewayException.badRequest(400, "missing_field", "'" + field + "' is required");
      }
      return;
    }
    if (node.isTextual()) {
      addText(out, Direction.PROMPT, "user", "/" + field, node);
      return;
    }
    if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        JsonNode item = node.get(i);
        if (item.isTextual()) {
          addText(out, Direction.PROMPT, "user", "/" + field + "/" + i, item);
        } else {
          throw GatewayException.badRequest(400, "invalid_field", "'" + field + "[" + i + "]' must be a string"
              + " (token-id arrays cannot be guarded; send text)");
        }
      }
      return;
    }
    throw GatewayException.badRequest(400, "invalid_field", "'" + field + "' must be a string or an array of strings");
  }
}

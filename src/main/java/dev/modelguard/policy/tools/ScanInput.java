package dev.modelguard.policy.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelguard.api.OpenAiChat;
import dev.modelguard.guard.Direction;
import dev.modelguard.guard.Segment;
import dev.modelguard.policy.Policy;
import dev.modelguard.policy.PolicyEngine;
import dev.modelguard.policy.Redactor;
import dev.modelguard.policy.ScanResult;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One input of the policy tools, shaped like a check API request (SPEC section 5): a free text or
 * an OpenAI {@code messages} array, and the direction it travels. Immutable.
 *
 * @param direction prompt or response
 * @param segments what the guards see: one segment for a text, one per message part otherwise
 * @param singleText true for a free text (so {@code redacted_text} applies)
 */
public record ScanInput(Direction direction, List<Segment> segments, boolean singleText) {
  /** How long one scan may take before the tools give up on it; far above any budget_ms. */
  private static final long SCAN_TIMEOUT_SECONDS = 60;

  public ScanInput {
    segments = List.copyOf(segments);
  }

  /** A free text. */
  public static ScanInput text(Direction direction, String text) {
    return new ScanInput(direction, List.of(Segment.of(direction, text)), true);
  }

  /**
   * An OpenAI chat {@code messages} array, split into segments exactly as the check API does.
   *
   * @throws IllegalArgumentException naming the message at fault ({@code messages[2].role}...) when
   *     the array is not a valid chat history
   */
  public static ScanInput messages(Direction direction, JsonNode messages) {
    ObjectNode wrapper = JsonNodeFactory.instance.objectNode();
    wrapper.set("messages", messages);
    List<Segment> segments;
    try {
      segments = new OpenAiChat().promptSegments(wrapper);
    } catch (RuntimeException e) {
      // The wire format reports in HTTP terms; the tools report the same message about their file.
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return new ScanInput(direction,
        segments.stream().map(s -> Segment.of(direction, s.role(), s.path(), s.text())).toList(), false);
  }

  /**
   * Scans this input with {@code policy}, waiting for the result; blocking guards run on
   * {@code engine}'s worker threads, so call this from a plain thread, never an event loop.
   *
   * @throws IllegalStateException when the scan does not finish within a minute or is interrupted
   *     (a guard failure is not an exception: it is part of the result)
   */
  public ScanResult scan(PolicyEngine engine, Policy policy) {
    try {
      return engine.scan(policy, direction, segments, new Redactor())
          .toCompletionStage().toCompletableFuture().get(SCAN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while scanning with policy '" + policy.name() + "'", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("scan with policy '" + policy.name() + "' did not finish within "
          + SCAN_TIMEOUT_SECONDS + " s: " + e, e);
    }
  }
}

package dev.modelguard.guard;

import java.util.Objects;

/**
 * One piece of text the model reads (a prompt segment) or writes (a response segment).
 *
 * <p>Immutable and safe to share between threads. The normalised form is computed once, on
 * construction, so every guard sees the same normalisation and offsets map back the same way.
 *
 * @param direction prompt or response
 * @param role where the text sits: {@code system}, {@code user}, {@code assistant}, {@code tool},
 *     {@code tool_call}, {@code text}...; informational
 * @param path JSON pointer of the text inside the request or response body (for writing redactions
 *     back), or {@code ""} for free text
 * @param text the original text
 * @param normalized the shared normalisation of {@code text} ({@link NormalizedText})
 */
public record Segment(Direction direction, String role, String path, String text, NormalizedText normalized) {
  public Segment {
    Objects.requireNonNull(direction, "direction");
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(normalized, "normalized");
  }

  /** A segment with its normalisation computed. */
  public static Segment of(Direction direction, String role, String path, String text) {
    return new Segment(direction, role, path, text, NormalizedText.of(text));
  }

  /** A free-text segment (check API, CLI). */
  public static Segment of(Direction direction, String text) {
    return of(direction, "text", "", text);
  }
}

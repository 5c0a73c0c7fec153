package dev.modelguard.api;

import java.util.List;
import java.util.Optional;

/**
 * The guarded endpoints: which {@link WireFormat} parses a request path. Matching is by path suffix,
 * so a route mounted under any prefix ({@code /v1}, {@code /compatible-mode/v1}) is understood.
 */
public final class WireFormats {
  private record Entry(String suffix, WireFormat format) {}

  private static final List<Entry> ENTRIES = List.of(
      new Entry("/chat/completions", new OpenAiChat()),
      new Entry("/responses", new OpenAiResponses()),
      new Entry("/messages", new AnthropicMessages()),
      new Entry("/completions", new OpenAiCompletions()),
      new Entry("/embeddings", new OpenAiEmbeddings()));

  private WireFormats() {}

  /** The format for a POST to {@code path}, or empty when the path is not a guarded endpoint. */
  public static Optional<WireFormat> forPath(String path) {
    for (Entry e : ENTRIES) {
      if (path.endsWith(e.suffix)) {
        return Optional.of(e.format);
      }
    }
    return Optional.empty();
  }

  /** The guarded endpoint suffixes, for error messages. */
  public static List<String> suffixes() {
    return ENTRIES.stream().map(Entry::suffix).toList();
  }
}

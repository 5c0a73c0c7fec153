package dev.modelguard.guard.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One row of the shared JSONL schema ({@code text, label, lang, source, direction}; see
 * {@code ../shared/datasets/README.md}). Extra keys are ignored so users may annotate their rows.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record LabeledText(String text, String label, String lang, String source, String direction) {
  public LabeledText {
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(label, "label");
    lang = lang == null ? "en" : lang;
    source = source == null ? "unknown" : source;
    direction = direction == null ? "prompt" : direction;
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Reads a JSONL file.
   *
   * @throws IOException naming {@code FILE:LINE} for a malformed row
   */
  public static List<LabeledText> read(Path file) throws IOException {
    List<LabeledText> rows = new ArrayList<>();
    try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int lineNo = 0;
      while ((line = reader.readLine()) != null) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        try {
          rows.add(JSON.readValue(line, LabeledText.class));
        } catch (IOException | RuntimeException e) {
          throw new IOException(file + ":" + lineNo + ": bad row: " + e.getMessage(), e);
        }
      }
    }
    return rows;
  }

  /** The source repository without the path ({@code owner/name@commit}), or the whole source. */
  public String sourceRepo() {
    String s = source.startsWith("aug/") ? source.substring(0, source.indexOf(':') < 0 ? source.length() : source.indexOf(':')) : source;
    int colon = s.indexOf(':');
    return colon < 0 ? s : s.substring(0, colon);
  }
}

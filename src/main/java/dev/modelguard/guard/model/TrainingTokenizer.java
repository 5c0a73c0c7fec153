package dev.modelguard.guard.model;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelguard.guard.NormalizedText;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Offline helper for {@code guard-models/training/finetune.py}: turns texts into the token ids the
 * gateway will feed the model, so that training sees exactly what runs at serve time (the shared
 * normalisation, the guard's character windows, the DJL tokenizer). Not used by the gateway.
 *
 * <p>Usage: {@code java -cp modelguard.jar dev.modelguard.guard.model.TrainingTokenizer TOKENIZER_JSON
 * WINDOW_CHARS WINDOW_OVERLAP MAX_TOKENS MAX_WINDOWS IN.jsonl OUT.jsonl}. Each input line is a JSON
 * object with a {@code text}; each output line is {@code {"ids": [[...], ...]}}: the token ids of
 * up to {@code MAX_WINDOWS} windows of the normalised text, spread evenly over it (first and last
 * always included), each truncated to {@code MAX_TOKENS}.
 */
public final class TrainingTokenizer {
  private TrainingTokenizer() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 7) {
      System.err.println("usage: TrainingTokenizer TOKENIZER_JSON WINDOW_CHARS WINDOW_OVERLAP MAX_TOKENS MAX_WINDOWS IN.jsonl OUT.jsonl");
      System.exit(2);
    }
    Path tokenizerFile = Path.of(args[0]);
    Window window = new Window(new GuardManifest.Window(Integer.parseInt(args[1]), Integer.parseInt(args[2]),
        Integer.MAX_VALUE / 2));
    int maxTokens = Integer.parseInt(args[3]);
    int maxWindows = Integer.parseInt(args[4]);
    ObjectMapper json = new ObjectMapper();
    HuggingFaceTokenizer tokenizer;
    try (InputStream in = Files.newInputStream(tokenizerFile)) {
      tokenizer = TokenizedBatch.loadTokenizer(in, maxTokens);
    }
    long rows = 0;
    try (BufferedReader in = Files.newBufferedReader(Path.of(args[5]), StandardCharsets.UTF_8);
        BufferedWriter out = Files.newBufferedWriter(Path.of(args[6]), StandardCharsets.UTF_8)) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode row = json.readTree(line);
        List<String> texts = pick(window.split(NormalizedText.of(row.path("text").asText()).text()), maxWindows);
        Encoding[] encodings = tokenizer.batchEncode(texts);
        ObjectNode result = json.createObjectNode();
        ArrayNode windows = result.putArray("ids");
        for (Encoding e : encodings) {
          ArrayNode ids = windows.addArray();
          for (long id : e.getIds()) {
            ids.add(id);
          }
        }
        out.write(json.writeValueAsString(result));
        out.write('\n');
        rows++;
      }
    } finally {
      tokenizer.close();
    }
    System.err.println("tokenized " + rows + " rows");
  }

  /** Up to {@code max} windows spread evenly, first and last always kept. */
  static List<String> pick(List<Window.Part> parts, int max) {
    List<String> texts = new ArrayList<>();
    if (parts.size() <= max) {
      parts.forEach(p -> texts.add(p.text()));
      return texts;
    }
    for (int i = 0; i < max; i++) {
      int index = max == 1 ? 0 : (int) Math.round(i * (parts.size() - 1) / (double) (max - 1));
      texts.add(parts.get(index).text());
    }
    return texts;
  }
}

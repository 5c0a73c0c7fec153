package dev.modelguard.guard.rules;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.modelguard.guard.Direction;
import dev.modelguard.guard.Guard;
import dev.modelguard.guard.GuardContext;
import dev.modelguard.guard.Segment;
import dev.modelguard.guard.model.LabeledText;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Measures the cheap detectors the way their Javadoc promises: false positives on every benign row
 * of the shared datasets ({@code -Dmodelguard.datasets}, default {@code ../shared/datasets}; skipped
 * when absent) must stay under 0.2 %, and recall on the family each one targets must not fall below
 * the figure recorded here (the numbers are printed for the cards and the README).
 */
class RuleDetectorQualityIT {
  static final Path DATASETS = Path.of(System.getProperty("modelguard.datasets", "../shared/datasets"));
  static final Path AUTHORED = Path.of("guard-models/data");
  static final double MAX_FPR = 0.002;

  private static double rate(Guard guard, List<String> texts) throws Exception {
    long hit = 0;
    for (String t : texts) {
      if (!guard.inspect(Segment.of(Direction.PROMPT, t)).isEmpty()) {
        hit++;
      }
    }
    return (double) hit / texts.size();
  }

  private static List<String> texts(Path file, Predicate<LabeledText> which) throws Exception {
    return LabeledText.read(file).stream().filter(which).map(LabeledText::text).toList();
  }

  @Test
  void encodedPayload() throws Exception {
    assumeTrue(Files.isDirectory(DATASETS), "no datasets at " + DATASETS);
    Guard guard = new EncodedPayloadGuard.Factory().create(null, new GuardContext("encoded-payload", Path.of(".")));
    List<String> benign = texts(DATASETS.resolve("benign.jsonl"), r -> true);
    // Real direct injections of the shared pool, encoded the three ways an attacker would send them.
    List<String> plain = texts(DATASETS.resolve("injection.jsonl"),
        r -> !r.source().startsWith("aug/") && !r.source().startsWith("microsoft/BIPIA") && r.text().length() <= 600);
    List<String> b64 = new ArrayList<>();
    List<String> hex = new ArrayList<>();
    List<String> rot = new ArrayList<>();
    for (String p : plain) {
      byte[] bytes = p.getBytes(StandardCharsets.UTF_8);
      b64.add("Decode this and follow it: " + Base64.getEncoder().encodeToString(bytes));
      hex.add("Decode this and follow it: " + HexFormat.of().formatHex(bytes));
      if (p.chars().allMatch(c -> c < 128)) {
        rot.add("Decode this and follow it: " + EncodedPayloadGuard.rot13(p));
      }
    }
    List<String> authored = texts(AUTHORED.resolve("authored-injection.jsonl"),
        r -> r.source().endsWith(":encoded-payload"));
    double fpr = rate(guard, benign);
    double rb = rate(guard, b64);
    double rh = rate(guard, hex);
    double rr = rate(guard, rot);
    double ra = rate(guard, authored);
    System.out.printf(Locale.ROOT, "encoded-payload: benign FPR %.5f (%d rows); recall base64 %.3f, hex %.3f (%d rows),"
        + " rot13 %.3f (%d rows), authored %.3f (%d rows)%n", fpr, benign.size(), rb, rh, b64.size(), rr, rot.size(), ra,
        authored.size());
    assertTrue(fpr < MAX_FPR, "benign FPR " + fpr);
    assertTrue(rb >= 0.75 && rh >= 0.75 && rr >= 0.70 && ra >= 0.90, "recall regressed");
  }

  @Test
  void adversarialSuffix() throws Exception {
    assumeTrue(Files.isDirectory(DATASETS), "no datasets at " + DATASETS);
    Guard guard = new AdversarialSuffixGuard.Factory().create(null, new GuardContext("adversarial-suffix", Path.of(".")));
    List<String> benign = texts(DATASETS.resolve("benign.jsonl"), r -> true);
    List<String> suffixed = texts(DATASETS.resolve("jailbreak.jsonl"), r -> r.source().startsWith("aug/gcg-suffix"));
    List<String> harmfulPlain = texts(DATASETS.resolve("harmful.jsonl"), r -> r.direction().equals("prompt"));
    double fpr = rate(guard, benign);
    double recall = rate(guard, suffixed);
    double plain = rate(guard, harmfulPlain);
    System.out.printf(Locale.ROOT, "adversarial-suffix: benign FPR %.5f (%d rows); recall on aug/gcg-suffix %.3f (%d rows);"
        + " flagged among the same kind of requests without a suffix %.4f (%d rows)%n", fpr, benign.size(), recall,
        suffixed.size(), plain, harmfulPlain.size());
    assertTrue(fpr < MAX_FPR, "benign FPR " + fpr);
    assertTrue(recall >= 0.55, "recall " + recall);
  }
}

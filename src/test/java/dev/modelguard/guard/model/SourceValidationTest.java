package dev.modelguard.guard.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelguard.cli.TrainCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

class SourceValidationTest {

  /** source | group it is held out with. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "microsoft/BIPIA@1a2a91d:benchmark/email/train.jsonl|microsoft/BIPIA@1a2a91d",
      "aug/indirect-doc:NVIDIA/garak@cafbe99:garak/data/x.json|NVIDIA/garak@cafbe99",
      "aug/gcg-suffix:Princeton-SysML/Jailbreak_LLM@1e49053:data/advbench.txt|Princeton-SysML/Jailbreak_LLM@1e49053",
      "modelguard/authored:say-x-hijack|modelguard/authored",
      "unknown|unknown",
  })
  void augmentationsCountAsTheSourceTheyWereMadeFrom(String source, String group) {
    assertEquals(group, GuardTrainer.sourceGroup(new LabeledText("t", "benign", "en", source, "prompt")));
  }

  @Test
  void losoWritesJsonAndACardSectionButNoHeads(@TempDir Path tmp) throws Exception {
    Path data = Path.of(getClass().getResource("/train-small.jsonl").toURI());
    Path out = tmp.resolve("small-attack");
    Files.createDirectories(out);
    Files.writeString(out.resolve("CARD.md"), "# small-attack\n\nhand-written notes\n");
    String[] args = {"--data", data.toString(), "--positive", "injection", "--category", "prompt_injection",
        "--out", out.toString(), "--seed", "7", "--cache", tmp.resolve("cache").toString(), "--loso",
        "--loso-min-rows", "5", "--balance-sources"};
    assertEquals(0, new CommandLine(new TrainCommand()).execute(args));
    assertFalse(Files.exists(out.resolve("head-en.json")), "--loso never writes heads");
    String json = Files.readString(out.resolve("loso.json"));
    assertFalse(json.contains("NaN"), "rates of empty groups are null, not NaN: " + json);
    JsonNode report = new ObjectMapper().readTree(json);
    JsonNode en = report.at("/languages/0");
    assertEquals("en", en.get("lang").asText());
    assertTrue(en.get("folds").asInt() >= 2, en.toString());
    assertTrue(en.get("sources").toString().contains("Jarviswang94/Multilingual_safety_benchmark@8c55b6a"));
    String card = Files.readString(out.resolve("CARD.md"));
    assertTrue(card.startsWith("# small-attack\n\nhand-written notes\n"), card);
    assertTrue(card.contains(SourceValidation.BEGIN) && card.contains("## Leave-one-source-out validation"), card);

    // A second run replaces the section instead of appending another one.
    assertEquals(0, new CommandLine(new TrainCommand()).execute(args));
    String again = Files.readString(out.resolve("CARD.md"));
    assertEquals(1, again.split(SourceValidation.BEGIN, -1).length - 1, again);

    // Retraining rewrites the card but keeps the LOSO section and hand-written notes.
    Files.writeString(out.resolve("CARD.md"), again + GuardTrainer.NOTES_BEGIN + "\nspot checks\n" + GuardTrainer.NOTES_END + "\n");
    String[] train = java.util.Arrays.copyOf(args, 12);
    assertEquals(0, new CommandLine(new TrainCommand()).execute(train));
    String retrained = Files.readString(out.resolve("CARD.md"));
    assertTrue(retrained.contains("## Held-out results") && retrained.contains("## Leave-one-source-out validation")
        && retrained.contains("spot checks"), retrained);
  }
}

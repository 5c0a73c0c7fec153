package dev.modelguard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaId;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.modelguard.config.YamlSupport;
import dev.modelguard.guard.Categories;
import dev.modelguard.guard.rules.PiiGuard;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code policies/policy.schema.json} accepts every shipped policy, rejects what the loader
 * rejects in the cases a schema can express, and lists the same entities and categories as the
 * code (so the editor's completions are the loader's truth).
 */
class PolicySchemaTest {
  private static final Path SCHEMA = Path.of("policies/policy.schema.json");
  private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

  private static JsonNode schemaNode() throws IOException {
    return new ObjectMapper().readTree(Files.readString(SCHEMA));
  }

  private static Set<ValidationMessage> validate(String yaml) throws IOException {
    JsonSchema schema = FACTORY.getSchema(schemaNode());
    return schema.validate(YamlSupport.mapper().readTree(yaml));
  }

  static Stream<Path> shippedPolicies() throws IOException {
    List<Path> files = new ArrayList<>();
    for (Path dir : List.of(Path.of("policies"), Path.of("bench/policies"))) {
      try (Stream<Path> s = Files.list(dir)) {
        s.filter(p -> p.toString().endsWith(".yaml")).sorted().forEach(files::add);
      }
    }
    return files.stream();
  }

  @Test
  void schemaIsValidDraft202012() throws IOException {
    JsonSchema meta = FACTORY.getSchema(SchemaLocation.of(SchemaId.V202012));
    Set<ValidationMessage> errors = meta.validate(schemaNode());
    assertTrue(errors.isEmpty(), errors.toString());
  }

  @ParameterizedTest
  @MethodSource("shippedPolicies")
  void shippedPolicyMatchesSchema(Path file) throws IOException {
    Set<ValidationMessage> errors = validate(Files.readString(file));
    assertTrue(errors.isEmpty(), file + ": " + errors);
    assertTrue(Files.readString(file).startsWith("# yaml-language-server: $schema="),
        file + ": first line points editors at the schema");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      // every key the loader knows, set
      """
      version: 1
      name: full
      extends: default
      mode: monitor
      on_error: allow
      budget_ms: 50
      block_status: 403
      prompt:
        - guard: secrets
          name: keys
          labels: [AWS_ACCESS_KEY, GITHUB_TOKEN]
          threshold: 0.9
          action: block
        - guard: pii
          entities: [EMAIL, CN_ID]
          action: redact
        - guard: regex
          patterns:
            - {name: ticket, pattern: 'TICKET-\\d+', label: TICKET, category: regex, flags: [case_insensitive]}
        - guard: substrings
          words: [foo]
          label: FOO
          category: banned_topic
          whole_words: true
        - guard: substrings
          name: from-file
          file: words.txt
        - guard: invisible-text
          allow: [U+200D]
        - guard: prompt-attack
          threshold: 0.8
          max_chars: 4096
          action: block
      response: []
      audit: {text: full}
      streaming: {mode: buffer, hold_back_chars: 0, check_every_chars: 256, max_held_bytes: 65536}
      """,
      "version: 1\nname: minimal\n"})
  void acceptsValidFiles(String yaml) throws IOException {
    Set<ValidationMessage> errors = validate(yaml);
    assertTrue(errors.isEmpty(), errors.toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "name: no-version\n",
      "version: 2\nname: v2\n",
      "version: 1\n",
      "version: 1\nname: Upper\n",
      "version: 1\nname: x\nextend: default\n",
      "version: 1\nname: x\nmode: dry-run\n",
      "version: 1\nname: x\non_error: ignore\n",
      "version: 1\nname: x\nbudget_ms: 0\n",
      "version: 1\nname: x\nblock_status: 500\n",
      "version: 1\nname: x\naudit: {text: all}\n",
      "version: 1\nname: x\nstreaming: {mode: guarded, hold_back: 10}\n",
      "version: 1\nname: x\nprompt:\n  - action: block\n",
      "version: 1\nname: x\nprompt:\n  - guard: pii\n    threshold: 1.5\n",
      "version: 1\nname: x\nprompt:\n  - guard: pii\n    action: deny\n",
      "version: 1\nname: x\nprompt:\n  - guard: pii\n    entities: [EMAIL, PASSPORT]\n",
      "version: 1\nname: x\nprompt:\n  - guard: pii\n    labels: [EMAIL]\n",
      "version: 1\nname: x\nprompt:\n  - guard: secrets\n    entities: [EMAIL]\n",
      "version: 1\nname: x\nprompt:\n  - guard: regex\n",
      "version: 1\nname: x\nprompt:\n  - guard: regex\n    patterns:\n      - {name: a}\n",
      "version: 1\nname: x\nprompt:\n  - guard: regex\n    patterns:\n      - {name: a, pattern: b, flags: [global]}\n",
      "version: 1\nname: x\nprompt:\n  - guard: substrings\n    category: banned_topic\n",
      "version: 1\nname: x\nprompt:\n  - guard: substrings\n    words: []\n",
      "version: 1\nname: x\nprompt:\n  - guard: substrings\n    words: [a]\n    category: topics\n",
      "version: 1\nname: x\nprompt:\n  - guard: invisible-text\n    allow: [200D]\n",
      "version: 1\nname: x\nresponse:\n  - guard: harmful\n    entities: [EMAIL]\n",
      "version: 1\nname: x\nresponse:\n  - guard: harmful\n    max_chars: 8\n"})
  void rejectsInvalidFiles(String yaml) throws IOException {
    assertFalse(validate(yaml).isEmpty(), "schema accepted:\n" + yaml);
  }

  @Test
  void enumerationsMatchTheCode() throws IOException {
    JsonNode defs = schemaNode().get("$defs");
    List<String> entities = new ArrayList<>();
    defs.get("piiEntity").get("enum").forEach(n -> entities.add(n.asText()));
    assertEquals(PiiGuard.ENTITIES, entities);
    List<String> categories = new ArrayList<>();
    defs.get("category").get("enum").forEach(n -> categories.add(n.asText()));
    assertEquals(Categories.ALL, categories);
  }
}

package dev.modelguard.guard.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.modelguard.guard.Guard;
import dev.modelguard.guard.GuardContext;
import dev.modelguard.guard.GuardFactory;
import java.nio.file.Path;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RuleGuardRegistrationTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static Map<String, GuardFactory<?>> factories() {
    Map<String, GuardFactory<?>> byType = new TreeMap<>();
    for (GuardFactory<?> f : ServiceLoader.load(GuardFactory.class)) {
      byType.put(f.type(), f);
    }
    return byType;
  }

  @Test
  void everyRuleGuardIsFoundByServiceLoader() {
    assertTrue(factories().keySet().containsAll(java.util.List.of("secrets", "pii", "regex", "substrings", "invisible-text")),
        factories().keySet().toString());
  }

  /** type | the guard-specific keys of a policy entry, as YAML. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "secrets|labels: [AWS_ACCESS_KEY, GENERIC_SECRET]",
      "secrets|{}",
      "pii|entities: [EMAIL, CN_ID, CN_MOBILE]",
      "regex|'patterns: [{name: ticket, pattern: \"T-\\\\d+\", flags: [case_insensitive], category: regex}]'",
      "substrings|'{words: [炸弹, casino], whole_words: true, category: banned_topic, label: GAMBLING}'",
      "invisible-text|'allow: [U+200D]'",
  })
  @SuppressWarnings({"unchecked", "rawtypes"})
  void configBindsFromYamlAndCreatesANonBlockingWindowGuard(String type, String yaml) throws Exception {
    GuardFactory factory = factories().get(type);
    Record config = (Record) YAML.readValue(yaml, factory.configType());
    Guard guard = factory.create(config, new GuardContext(type, Path.of(".")));
    assertEquals(type, guard.name());
    assertFalse(guard.blocking());
    assertFalse(guard.needsWholeText());
  }

  @Test
  void unknownKeysAndBadValuesFailWithTheKeyNamed() {
    Executable unknownKey = () -> YAML.readValue("entity: [EMAIL]", PiiGuard.Config.class);
    assertInstanceOf(UnrecognizedPropertyException.class, org.junit.jupiter.api.Assertions.assertThrows(Exception.class, unknownKey));
    Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
        () -> YAML.readValue("entities: [EMAIL, FOO]", PiiGuard.Config.class));
    Throwable cause = e.getCause() != null ? e.getCause() : e;
    assertTrue(cause.getMessage().startsWith("entities[1]: unknown entity 'FOO' (valid: EMAIL, "), cause.getMessage());
  }
}

package dev.modelguard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelguard.policy.fixtures.KeywordTestGuard;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PolicyLoaderTest {
  /** Only the fixtures, so error messages listing the valid guards do not change as guards are added. */
  private static final GuardRegistry REGISTRY = GuardRegistry.of(List.of(
      new dev.modelguard.policy.fixtures.KeywordTestGuard.Factory(),
      new dev.modelguard.policy.fixtures.EntityTestGuard.Factory()));

  @TempDir Path dir;

  private Path write(String name, String yaml) throws IOException {
    Path f = dir.resolve(name);
    Files.writeString(f, yaml);
    return f;
  }

  /** The errors of a single file, with the directory left out of the file names. */
  private List<String> errors(String yaml) throws IOException {
    return strip(PolicyLoader.validate(write("p.yaml", yaml), REGISTRY));
  }

  private List<String> strip(List<String> errors) {
    return errors.stream().map(e -> e.replace(dir + "/", "")).toList();
  }

  private static String sha256(byte[]... parts) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    for (byte[] p : parts) {
      md.update(p);
    }
    return "sha256:" + HexFormat.of().formatHex(md.digest());
  }

  @Test
  void registryListsFixturesSorted() {
    assertEquals(List.of("test-entities", "test-keyword"), List.copyOf(REGISTRY.types()));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> REGISTRY.factory("pii"));
    assertEquals("unknown guard 'pii' (valid: test-entities, test-keyword)", e.getMessage());
  }

  @Test
  void compilesWithDefaultsAndFileHash() throws Exception {
    String yaml = """
        version: 1
        name: base
        prompt:
          - guard: test-keyword
            words: [foo]
          - guard: test-keyword
            name: second
            words: [bar]
            category: banned_topic
            threshold: 0.8
            action: redact
        """;
    Policy p = PolicyLoader.loadFile(write("base.yaml", yaml), REGISTRY);
    assertEquals("base", p.name());
    assertEquals(sha256(yaml.getBytes(StandardCharsets.UTF_8)), p.version());
    assertEquals(Mode.ENFORCE, p.mode());
    assertEquals(OnError.BLOCK, p.onError());
    assertEquals(100, p.budgetMs());
    assertEquals(400, p.blockStatus());
    assertEquals(AuditText.REDACTED, p.auditText());
    assertEquals(List.of(), p.response());
    assertEquals(2, p.prompt().size());
    GuardRule first = p.prompt().get(0);
    assertEquals("test-keyword", first.guard().name());
    assertEquals(0.5, first.threshold());
    assertEquals(Action.BLOCK, first.action());
    GuardRule second = p.prompt().get(1);
    assertEquals("second", second.guard().name());
    assertEquals(0.8, second.threshold());
    assertEquals(Action.REDACT, second.action());
    assertEquals(List.of("bar"), ((KeywordTestGuard) second.guard()).words());
  }

  @Test
  void versionIsStableAndFollowsContent() throws Exception {
    String yaml = "version: 1\nname: a\nmode: monitor\n";
    String v1 = PolicyLoader.loadFile(write("a.yaml", yaml), REGISTRY).version();
    assertEquals(v1, PolicyLoader.loadFile(write("a.yaml", yaml), REGISTRY).version());
    String v2 = PolicyLoader.loadFile(write("a.yaml", yaml + "# a comment changes the bytes\n"), REGISTRY).version();
    assertNotEquals(v1, v2);
    assertTrue(v1.matches("sha256:[0-9a-f]{64}"), v1);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      threshold above 1     | '  - guard: test-keyword\\n    words: [x]\\n    threshold: 1.5'   | 'p.yaml:6:5: prompt[0].threshold: must be in [0,1]'
      threshold not number  | '  - guard: test-keyword\\n    words: [x]\\n    threshold: high'  | 'p.yaml:6:5: prompt[0].threshold: expected a number in [0,1], got ''high'''
      unknown guard         | '  - guard: pii'                                                | 'p.yaml:4:5: prompt[0].guard: unknown guard ''pii'' (valid: test-entities, test-keyword)'
      missing guard         | '  - action: block'                                             | 'p.yaml:4:5: prompt[0].guard: is required (the guard type, e.g. guard: pii)'
      bad action            | '  - guard: test-keyword\\n    words: [x]\\n    action: drop'     | 'p.yaml:6:5: prompt[0].action: unknown action ''drop'' (valid: allow, flag, redact, block)'
      unknown config key    | '  - guard: test-keyword\\n    wrods: [x]'                      | 'p.yaml:5:5: prompt[0].wrods: unknown key (valid: guard, name, threshold, action, mode, on_error, budget_ms, words, category)'
      keyed invariant       | '  - guard: test-keyword\\n    words: []'                        | 'p.yaml:5:5: prompt[0].words: must list at least one word'
      prefixed invariant    | '  - guard: test-keyword\\n    words: [a]\\n    category: nope'   | 'p.yaml:6:5: prompt[0].category: unknown category ''nope'''
      indexed invariant     | '  - guard: test-keyword\\n    words:\\n      - a\\n      - " "' | 'p.yaml:7:9: prompt[0].words[1]: must not be empty'
      unnamed invariant     | '  - guard: test-entities\\n    entities: [EMAIL, FOO]'          | 'p.yaml:5:5: prompt[0].entities: unknown entity ''FOO'' (valid: EMAIL, PHONE)'
      wrong config type     | '  - guard: test-keyword\\n    words: {a: 1}'                    | 'p.yaml:5:5: prompt[0].words: expected a list'
      entry not a mapping   | '  - test-keyword'                                              | 'p.yaml:4:5: prompt[0]: expected a mapping such as {guard: pii, action: redact}'
      duplicate entry       | '  - guard: test-keyword\\n    words: [a]\\n  - guard: test-keyword\\n    words: [b]' | 'p.yaml:6:5: prompt[1].guard: duplicate guard name ''test-keyword'' (also prompt[0]); give one of them a distinct name: to use a guard twice'
      """)
  void entryErrorsNameFileLineColumnAndPath(String name, String entries, String expected) throws IOException {
    String yaml = "version: 1\nname: p\nprompt:\n" + entries.replace("\\n", "\n") + "\n";
    assertEquals(List.of(expected), errors(yaml));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      unknown key       | 'version: 1\\nname: p\\nmod: monitor'   | 'p.yaml:3:1: mod: unknown key (valid: version, name, extends, mode, on_error, budget_ms, block_status, prompt, response, audit, streaming)'
      misspelled name   | 'version: 1\\nnmae: p'                 | 'p.yaml:2:1: nmae: unknown key (valid: version, name, extends, mode, on_error, budget_ms, block_status, prompt, response, audit, streaming)'
      missing version   | 'name: p'                               | 'p.yaml:1:1: version: is required (write version: 1)'
      version 2         | 'version: 2\\nname: p'                  | 'p.yaml:1:1: version: unsupported version 2 (valid: 1)'
      missing name      | 'version: 1'                            | 'p.yaml:1:1: name: is required (the policy''s name, e.g. name: default)'
      bad name          | 'version: 1\\nname: My Policy'          | 'p.yaml:2:1: name: not a policy name: ''My Policy'' (lowercase letters, digits, _ and -)'
      bad mode          | 'version: 1\\nname: p\\nmode: loud'     | 'p.yaml:3:1: mode: unknown mode ''loud'' (valid: enforce, monitor)'
      budget zero       | 'version: 1\\nname: p\\nbudget_ms: 0'   | 'p.yaml:3:1: budget_ms: must be > 0, was 0'
      block status 600  | 'version: 1\\nname: p\\nblock_status: 600' | 'p.yaml:3:1: block_status: must be in [400, 499], was 600'
      bad audit text    | 'version: 1\\nname: p\\naudit:\\n  text: all' | 'p.yaml:4:3: audit.text: unknown audit.text ''all'' (valid: none, redacted, full)'
      unknown audit key | 'version: 1\\nname: p\\naudit:\\n  txt: all'  | 'p.yaml:4:3: audit.txt: unknown key (valid: text)'
      extends itself    | 'version: 1\\nname: p\\nextends: p'     | 'p.yaml:3:1: extends: a policy cannot extend itself'
      empty file        | ''                                      | 'p.yaml:1:1: the file is empty (a policy needs at least version: 1 and name:)'
      """)
  void fileErrors(String name, String yaml, String expected) throws IOException {
    assertEquals(List.of(expected), errors(yaml.replace("\\n", "\n")));
  }

  @Test
  void everyEntryErrorIsReported() throws IOException {
    List<String> errors = errors("""
        version: 1
        name: p
        prompt:
          - guard: nope
          - guard: test-keyword
            words: []
        response:
          - guard: test-entities
            entities: [BAD]
        """);
    assertEquals(3, errors.size(), errors.toString());
    assertTrue(errors.get(0).startsWith("p.yaml:4:5: prompt[0].guard: unknown guard 'nope'"), errors.get(0));
    assertTrue(errors.get(1).startsWith("p.yaml:6:5: prompt[1].words:"), errors.get(1));
    assertTrue(errors.get(2).startsWith("p.yaml:9:5: response[0].entities:"), errors.get(2));
  }

  private static final String BASE = """
      version: 1
      name: base
      on_error: allow
      budget_ms: 50
      prompt:
        - guard: test-keyword
          name: a
          words: [one]
        - guard: test-keyword
          name: b
          words: [two]
      response:
        - guard: test-keyword
          words: [three]
      audit:
        text: full
      """;

  private static final String CHILD = """
      version: 1
      name: child
      extends: base
      mode: monitor
      budget_ms: 20
      prompt:
        - guard: test-keyword
          name: b
          words: [replaced]
          threshold: 0.9
        - guard: test-entities
          entities: [EMAIL]
      """;

  @Test
  void extendsInheritsReplacesInPlaceAndAppends() throws Exception {
    write("base.yaml", BASE);
    write("child.yaml", CHILD);
    PolicySet set = PolicyLoader.loadDirectory(dir, REGISTRY);
    assertEquals(List.of("base", "child"), List.copyOf(set.names()));
    Policy child = set.get("child").orElseThrow();
    assertEquals(List.of("a", "b", "test-entities"), child.prompt().stream().map(r -> r.guard().name()).toList());
    assertEquals(List.of("replaced"), ((KeywordTestGuard) child.prompt().get(1).guard()).words());
    assertEquals(0.9, child.prompt().get(1).threshold());
    assertEquals(1, child.response().size());
    assertEquals(Mode.MONITOR, child.mode());
    assertEquals(OnError.ALLOW, child.onError());
    assertEquals(20, child.budgetMs());
    assertEquals(AuditText.FULL, child.auditText());
    assertEquals(sha256(BASE.getBytes(StandardCharsets.UTF_8), CHILD.getBytes(StandardCharsets.UTF_8)), child.version());
    assertEquals(sha256(BASE.getBytes(StandardCharsets.UTF_8)), set.get("base").orElseThrow().version());
    // A single file resolves its parent among the files beside it.
    assertEquals(child.version(), PolicyLoader.loadFile(dir.resolve("child.yaml"), REGISTRY).version());
  }

  @Test
  void errorInInheritedEntryNamesTheParentFile() throws IOException {
    write("base.yaml", BASE.replace("words: [three]", "words: [three]\n    threshold: 2"));
    List<String> errors = strip(PolicyLoader.validate(write("child.yaml", CHILD), REGISTRY));
    assertEquals(List.of("base.yaml:15:5: response[0].threshold: must be in [0,1]"), errors);
  }

  @Test
  void extendsCycleIsAnError() throws IOException {
    write("a.yaml", "version: 1\nname: a\nextends: b\n");
    write("b.yaml", "version: 1\nname: b\nextends: c\n");
    write("c.yaml", "version: 1\nname: c\nextends: a\n");
    PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.loadDirectory(dir, REGISTRY));
    assertEquals(List.of("a.yaml:3:1: extends: cycle a -> b -> c -> a", "b.yaml:3:1: extends: cycle b -> c -> a -> b",
        "c.yaml:3:1: extends: cycle c -> a -> b -> c"), strip(e.errors()));
  }

  @Test
  void unknownParentListsKnownPolicies() throws IOException {
    write("a.yaml", "version: 1\nname: a\n");
    write("b.yaml", "version: 1\nname: b\nextends: nope\n");
    PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.loadDirectory(dir, REGISTRY));
    assertEquals(List.of("b.yaml:3:1: extends: unknown policy 'nope' (valid: a)"), strip(e.errors()));
  }

  @Test
  void duplicatePolicyNamesNameBothFiles() throws IOException {
    write("one.yaml", "version: 1\nname: same\n");
    write("two.yaml", "version: 1\nname: same\n");
    PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.loadDirectory(dir, REGISTRY));
    assertEquals(List.of("two.yaml:2:1: name: duplicate policy name 'same' (also in one.yaml)"), strip(e.errors()));
  }

  @Test
  void errorsOfAllFilesAreCollected() throws IOException {
    write("a.yaml", "version: 1\nname: a\nmod: x\n");
    write("b.yaml", "version: 1\nname: b\nprompt:\n  - guard: nope\n");
    write("ok.yaml", "version: 1\nname: ok\n");
    Files.createDirectories(dir.resolve("tests"));
    write("tests/case.yaml", "not: a policy\n");
    PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.loadDirectory(dir, REGISTRY));
    assertEquals(2, e.errors().size(), e.getMessage());
    assertTrue(e.errors().get(0).contains("a.yaml:3:1: mod: unknown key"), e.errors().get(0));
    assertTrue(e.errors().get(1).contains("b.yaml:4:5: prompt[0].guard: unknown guard 'nope'"), e.errors().get(1));
  }

  @Test
  void missingOrEmptyDirectory() throws IOException {
    PolicyException e = assertThrows(PolicyException.class,
        () -> PolicyLoader.loadDirectory(dir.resolve("nope"), REGISTRY));
    assertEquals(List.of(dir.resolve("nope") + ": no such policy directory"), e.errors());
    e = assertThrows(PolicyException.class, () -> PolicyLoader.loadDirectory(dir, REGISTRY));
    assertTrue(e.getMessage().endsWith("no policy files (*.yaml) in this directory"), e.getMessage());
  }

  @Test
  void compilerRefusesUnresolvedExtends() {
    PolicyFile f = new PolicyFile(1, "c", "base", null, null, null, null, null, null, null, null);
    assertThrows(IllegalArgumentException.class, () -> new PolicyCompiler(REGISTRY).compile(f, "v", dir));
  }
}

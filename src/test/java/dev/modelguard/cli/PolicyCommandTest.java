package dev.modelguard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PolicyCommandTest {
  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cl = new CommandLine(new PolicyCommand());
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    return cl.execute(args);
  }

  private Path write(String name, String yaml) throws IOException {
    return Files.writeString(dir.resolve(name), yaml);
  }

  @Test
  void validFilesExitZeroWithSummary() throws IOException {
    Path a = write("a.yaml", """
        version: 1
        name: a
        prompt:
          - guard: test-keyword
            words: [x]
        response:
          - guard: test-keyword
            words: [y]
          - guard: test-entities
            entities: [EMAIL]
        """);
    Path b = write("b.yaml", "version: 1\nname: b\nextends: a\n");
    assertEquals(0, run("validate", a.toString(), b.toString()), err.toString());
    assertEquals(a + ": ok (policy a, 1 prompt guards, 2 response guards)\n"
        + b + ": ok (policy b, 1 prompt guards, 2 response guards)\n", out.toString());
  }

  @Test
  void invalidFileExitsOneWithEveryError() throws IOException {
    Path ok = write("ok.yaml", "version: 1\nname: ok\n");
    Path bad = write("bad.yaml", "version: 1\nname: bad\nprompt:\n  - guard: nope\n  - guard: test-keyword\n    words: []\n");
    assertEquals(1, run("validate", ok.toString(), bad.toString()));
    assertEquals(ok + ": ok (policy ok, 0 prompt guards, 0 response guards)\n"
        + bad + ":4:5: prompt[0].guard: unknown guard 'nope' (valid: "
        + String.join(", ", dev.modelguard.policy.GuardRegistry.load(List.of(Path.of("guard-models"))).types()) + ")\n"
        + bad + ":6:5: prompt[1].words: must list at least one word\n", out.toString());
  }

  @Test
  void missingFileExitsTwoNamingIt() throws IOException {
    Path ok = write("ok.yaml", "version: 1\nname: ok\n");
    Path missing = dir.resolve("missing.yaml");
    assertEquals(2, run("validate", ok.toString(), missing.toString()));
    assertTrue(err.toString().contains(missing + ": no such file"), err.toString());
    assertEquals("", out.toString());
  }

  @Test
  void usageErrorsExitTwo() {
    assertEquals(2, run("validate"));
    assertEquals(2, run());
    assertEquals(0, run("validate", "--help"));
  }
}

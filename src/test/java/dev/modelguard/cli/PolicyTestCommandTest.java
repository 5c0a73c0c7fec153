package dev.modelguard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code policy test}: the shipped cases pass (so {@code mvn verify} runs them), failures are reported by file and line. */
class PolicyTestCommandTest {
  private static final Pattern SUMMARY = Pattern.compile("(?m)^(\\d+) passed, (\\d+) failed$");

  @TempDir Path dir;
  private Path policies;
  private Path tests;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cl = new CommandLine(new PolicyCommand());
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    return cl.execute(args);
  }

  @BeforeEach
  void policies() throws IOException {
    policies = Files.createDirectories(dir.resolve("policies"));
    tests = Files.createDirectories(policies.resolve("tests"));
    Files.writeString(policies.resolve("mail.yaml"), """
        version: 1
        name: mail
        prompt:
          - guard: pii
            entities: [EMAIL]
            action: redact
        """);
  }

  @Test
  void shippedCasesAllPass() {
    int code = run("test");
    assertEquals(0, code, out + "\n" + err);
    Matcher m = SUMMARY.matcher(out.toString());
    assertTrue(m.find(), out.toString());
    assertEquals("0", m.group(2));
    for (String policy : List.of("default", "strict", "monitor")) {
      long cases = out.toString().lines().filter(l -> l.startsWith("PASS policies/tests/" + policy + ".yaml:")).count();
      assertTrue(cases >= 10, policy + " has " + cases + " cases, want at least 10");
    }
    assertEquals(Integer.parseInt(m.group(1)), out.toString().lines().filter(l -> l.startsWith("PASS ")).count());
  }

  @Test
  void failingCaseExitsOneNamingFileAndLine() throws IOException {
    Path cases = Files.writeString(tests.resolve("mail.yaml"), """
        policy: mail
        cases:
          - name: e-mail is redacted
            text: "write to a@example.com"
            expect: {verdict: redact, categories: [pii], labels: [EMAIL], redacted_text: "write to [EMAIL_1]"}

          - name: wrong on purpose
            text: "write to a@example.com"
            expect:
              verdict: block
              categories: [secret]
              labels: [PHONE]
              redacted_text: "nope"
        """);
    assertEquals(1, run("test", cases.toString()), err.toString());
    assertEquals(List.of(
        "PASS " + cases + ":3 e-mail is redacted",
        "FAIL " + cases + ":7 wrong on purpose: expected verdict block, got redact; expected categories [secret], "
            + "got [pii]; expected labels [PHONE], got [EMAIL] (missing [PHONE]); expected redacted_text \"nope\", "
            + "got \"write to [EMAIL_1]\"",
        "1 passed, 1 failed"), out.toString().lines().toList());
  }

  @Test
  void directoryArgumentAndPoliciesOptionAndMessages() throws IOException {
    Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
    Files.writeString(elsewhere.resolve("chat.yaml"), """
        policy: mail
        cases:
          - name: messages
            messages:
              - {role: system, content: "be brief"}
              - {role: user, content: "mail b@example.org"}
            expect: {verdict: redact, categories: [pii], enforced: true}
          - name: response direction
            direction: response
            text: "nothing here"
            expect: {verdict: allow, categories: []}
        """);
    assertEquals(0, run("test", "--policies", policies.toString(), elsewhere.toString()), out + "\n" + err);
    assertTrue(out.toString().endsWith("2 passed, 0 failed\n"), out.toString());
  }

  @Test
  void brokenCaseFileIsReportedWithPositionAndOtherFilesStillRun() throws IOException {
    Path good = Files.writeString(tests.resolve("a.yaml"),
        "policy: mail\ncases:\n  - name: ok\n    text: hi\n    expect: {verdict: allow}\n");
    Path bad = Files.writeString(tests.resolve("b.yaml"), """
        policy: mail
        cases:
          - name: typo
            txt: hi
            expect: {verdict: maybe, categories: [piii]}
        """);
    Path unknown = Files.writeString(tests.resolve("c.yaml"),
        "policy: nope\ncases:\n  - name: x\n    text: hi\n    expect: {verdict: allow}\n");
    assertEquals(1, run("test", "--policies", policies.toString(), tests.toString()));
    String o = out.toString();
    assertTrue(o.contains("PASS " + good + ":3 ok"), o);
    assertTrue(o.contains(bad + ":4:5: cases[0].txt: unknown key (valid: direction, expect, messages, name, text)"), o);
    assertTrue(o.contains(bad + ":3:5: cases[0]: text or messages is required"), o);
    assertTrue(o.contains(bad + ":5:14: cases[0].expect.verdict: unknown action 'maybe'"), o);
    assertTrue(o.contains(bad + ":5:30: cases[0].expect.categories: unknown category 'piii'"), o);
    assertTrue(o.contains(unknown + ":1:1: policy: unknown policy 'nope' in " + policies + " (valid: mail)"), o);
    assertTrue(o.contains("1 passed, 0 failed\n2 case files could not be run (errors above)\n"), o);
  }

  @Test
  void usageErrorsExitTwo() {
    assertEquals(2, run("test", dir.resolve("missing.yaml").toString()));
    assertTrue(err.toString().contains(dir.resolve("missing.yaml") + ": no such file"), err.toString());
    assertEquals(2, run("test", "--policies", dir.resolve("none").toString()));
    assertTrue(err.toString().contains("--policies: " + dir.resolve("none") + ": no such directory"), err.toString());
    assertEquals(2, run("test", tests.toString()));
    assertTrue(err.toString().contains(tests + ": no case files (*.yaml) in this directory"), err.toString());
  }
}

package dev.modelguard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelguard.audit.AuditEvent;
import dev.modelguard.audit.JsonlAuditSink;
import dev.modelguard.guard.Direction;
import dev.modelguard.policy.Action;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AuditCommandTest {

  @TempDir Path dir;
  private Path log;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeEach
  void writeLog() throws Exception {
    log = dir.resolve("audit.jsonl");
    try (JsonlAuditSink sink = new JsonlAuditSink(log)) {
      for (int i = 1; i <= 3; i++) {
        sink.record(AuditEvent.builder().ts(Instant.parse("2026-11-29T12:00:00Z")).requestId("req-" + i)
            .route("/v1").policy("default").policyVersion("sha256:00").direction(Direction.PROMPT)
            .verdict(Action.ALLOW).status(200).latency(1, 2, 3).build());
      }
    }
  }

  private int run(String... args) {
    CommandLine cmd = new CommandLine(new AuditCommand());
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    return cmd.execute(args);
  }

  @Test
  void intactLogExitsZero() {
    assertEquals(0, run("verify", log.toString()));
    assertEquals(log + ": OK, 3 events, chain intact", out.toString().strip());
  }

  @Test
  void tamperedLogExitsOneNamingTheLine() throws Exception {
    List<String> lines = new ArrayList<>(Files.readAllLines(log, StandardCharsets.UTF_8));
    lines.set(1, lines.get(1).replace("\"status\":200", "\"status\":201"));
    Files.write(log, lines, StandardCharsets.UTF_8);

    assertEquals(1, run("verify", log.toString()));
    assertEquals(log + ":2: hash mismatch (line was changed)", out.toString().strip());
  }

  @Test
  void missingFileExitsTwoNamingTheFile() {
    Path missing = dir.resolve("nope.jsonl");
    assertEquals(2, run("verify", missing.toString()));
    assertEquals(missing + ": no such file", err.toString().strip());
  }

  @Test
  void directoryVerifiesTheLogInIt() {
    assertEquals(0, run("verify", dir.toString()));
    assertEquals(dir + ": OK, 3 events, chain intact", out.toString().strip());
  }

  @Test
  void directoryWithSeveralLogsExitsTwoNamingThem() throws Exception {
    Files.writeString(dir.resolve("other.jsonl"), "");
    assertEquals(2, run("verify", dir.toString()));
    assertTrue(err.toString().startsWith(dir + ": holds several audit logs (audit, other)"), err.toString());
  }

  @Test
  void missingArgumentOrSubcommandIsAUsageError() {
    assertEquals(2, run("verify"));
    assertTrue(err.toString().contains("FILE"), err.toString());
    assertEquals(2, run());
  }

  @Test
  void helpWorksEverywhere() {
    assertEquals(0, run("--help"));
    assertEquals(0, run("verify", "--help"));
    assertTrue(out.toString().contains("Exit codes"), out.toString());
  }
}

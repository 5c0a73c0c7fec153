package dev.modelguard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelguard.api.Jsons;
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
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** {@code audit search}, {@code tail} and {@code stats} on a log split over a rotated and an active file. */
class AuditReviewCommandTest {

  @TempDir Path dir;
  private Path log;
  private StringWriter out = new StringWriter();
  private StringWriter err = new StringWriter();

  private static AuditEvent event(String id, String ts, Action verdict, String category, String tenant) {
    AuditEvent.Builder b = AuditEvent.builder().ts(Instant.parse(ts)).requestId(id).tenant(tenant).route("/v1")
        .policy("default").policyVersion("sha256:00").direction(Direction.PROMPT).verdict(verdict)
        .status(verdict == Action.BLOCK ? 400 : 200).latency(1, 2, 3);
    if (category != null) {
      b.category(category);
    }
    return b.build();
  }

  @BeforeEach
  void writeLog() throws Exception {
    log = dir.resolve("audit.jsonl");
    try (JsonlAuditSink sink = new JsonlAuditSink(log)) {
      sink.record(event("a1", "2026-11-28T09:00:00Z", Action.ALLOW, null, "team-a"));
      sink.record(event("a2", "2026-11-28T09:30:00Z", Action.BLOCK, "prompt_injection", "team-a"));
      sink.record(event("b1", "2026-11-29T10:00:00Z", Action.REDACT, "pii", "team-b"));
      sink.record(event("b2", "2026-11-29T10:15:00Z", Action.BLOCK, "pii", "team-b"));
    }
    // Split as rotation would: the first day's lines go to the rotated file; the chain runs on.
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    Files.write(dir.resolve("audit-20261128-235959.jsonl"), lines.subList(0, 2), StandardCharsets.UTF_8);
    Files.write(log, lines.subList(2, 4), StandardCharsets.UTF_8);
  }

  private int run(String... args) {
    out = new StringWriter();
    err = new StringWriter();
    CommandLine cmd = new CommandLine(new AuditCommand());
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    return cmd.execute(args);
  }

  private List<String> ids() throws Exception {
    List<String> ids = new java.util.ArrayList<>();
    for (String line : out.toString().strip().split("\n")) {
      if (!line.isBlank()) {
        ids.add(Jsons.MAPPER.readTree(line).get("request_id").asText());
      }
    }
    return ids;
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      all, oldest first across files | --limit=100                         | a1 a2 b1 b2
      newest N                      | --limit=2                            | b1 b2
      verdict                       | --verdict=block                      | a2 b2
      category                      | --category=pii                       | b1 b2
      tenant                        | --tenant=team-a                      | a1 a2
      since                         | --since=2026-11-29                   | b1 b2
      until                         | --until=2026-11-28T09:30:00Z         | a1
      request id                    | --request-id=b1                      | b1
      policy with no match          | --policy=strict                      | ''
      """)
  void searchFiltersAcrossRotatedFiles(String name, String option, String expected) throws Exception {
    assertEquals(0, run("search", "--file", dir.toString(), "--json", option), err::toString);
    assertEquals(expected, String.join(" ", ids()));
  }

  @Test
  void searchPrintsAReadableTable() {
    assertEquals(0, run("search", "--file", log.toString(), "--verdict", "block"), err::toString);
    String[] lines = out.toString().split("\n");
    assertTrue(lines[0].startsWith("TIME") && lines[0].contains("REQUEST_ID") && lines[0].contains("CATEGORIES"),
        lines[0]);
    assertTrue(lines[1].startsWith("2026-11-28T09:30:00Z") && lines[1].contains("a2")
        && lines[1].contains("block") && lines[1].endsWith("prompt_injection"), lines[1]);
    assertTrue(lines[2].contains("b2") && lines[2].endsWith("pii"), lines[2]);
    assertEquals("2 of 2 matching events", lines[3]);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      bad verdict   | search | --verdict=deny       | '--verdict: ''deny'' is not one of allow, flag, redact, block'
      bad category  | search | --category=pi        | '--category: unknown category ''pi'''
      bad since     | stats  | --since=yesterday    | '--since: ''yesterday'' is not a time'
      bad bucket    | stats  | --by=week            | '--by: ''week'' is not hour or day'
      """)
  void badArgumentsExitTwoNamingTheOption(String name, String command, String option, String message) {
    assertEquals(2, run(command, "--file", log.toString(), option));
    assertTrue(err.toString().startsWith(message), err.toString());
  }

  @Test
  void missingLogExitsTwo() {
    Path missing = dir.resolve("nope/audit.jsonl");
    assertEquals(2, run("search", "--file", missing.toString()));
    assertEquals(missing + ": no such file", err.toString().strip());
  }

  @Test
  void statsCountsByVerdictCategoryTenantPolicyAndDay() throws Exception {
    assertEquals(0, run("stats", "--file", dir.toString(), "--by", "day"), err::toString);
    String text = out.toString();
    assertTrue(text.contains("events: 4\n"), text);
    assertTrue(text.contains("by verdict:  allow=1 block=2 redact=1\n"), text);
    assertTrue(text.contains("by category: pii=2 prompt_injection=1\n"), text);
    assertTrue(text.contains("by tenant:   team-a=2 team-b=2\n"), text);
    assertTrue(text.contains("  2026-11-29T00:00:00Z  2 events  block=1 redact=1  | pii=2\n"), text);

    assertEquals(0, run("stats", "--file", log.toString(), "--json", "--since", "2026-11-29"), err::toString);
    JsonNode json = Jsons.MAPPER.readTree(out.toString());
    assertEquals(2, json.get("events").asLong());
    assertEquals(1, json.get("buckets").size());
    assertEquals("2026-11-29T10:00:00Z", json.get("buckets").get(0).get("start").asText());
  }

  @Test
  void tailShowsTheLastEventsThenFollowsNewOnes() throws Exception {
    assertEquals(0, run("tail", "-n", "3", "--file", log.toString(), "--json"), err::toString);
    assertEquals(List.of("a2", "b1", "b2"), ids());

    StringWriter followed = new StringWriter();
    CommandLine cmd = new CommandLine(new AuditCommand());
    cmd.setOut(new PrintWriter(followed, true));
    Thread tail = new Thread(() -> cmd.execute("tail", "-f", "-n", "0", "--json", "--file", log.toString()));
    tail.start();
    Thread.sleep(500);
    try (JsonlAuditSink sink = new JsonlAuditSink(log)) {
      sink.record(event("c1", "2026-11-29T11:00:00Z", Action.ALLOW, null, null));
      sink.flush().get(5, TimeUnit.SECONDS);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!followed.toString().contains("\"c1\"") && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    tail.interrupt();
    tail.join(5000);
    assertTrue(followed.toString().contains("\"request_id\":\"c1\""), followed::toString);
    assertEquals(1, followed.toString().strip().split("\n").length, followed::toString);
  }

  @Test
  void verifyChecksTheChainAcrossFilesInTheOrderGiven() {
    Path rotated = dir.resolve("audit-20261128-235959.jsonl");
    assertEquals(0, run("verify", log.toString()), out::toString);
    assertEquals(log + ": OK, 4 events in 2 files, chain intact", out.toString().strip());
    assertEquals(0, run("verify", rotated.toString(), log.toString()), out::toString);
    assertEquals(1, run("verify", log.toString(), rotated.toString()));
    assertEquals(log + ":1: prev is not the chain's start value (lines were removed from the start of the file)",
        out.toString().strip());
    assertEquals(0, run("verify", rotated.toString()));
  }
}

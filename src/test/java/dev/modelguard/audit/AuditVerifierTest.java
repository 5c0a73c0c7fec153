package dev.modelguard.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AuditVerifierTest {

  @TempDir Path dir;

  /** Writes {@code n} chained events through the real sink and returns the file's lines. */
  static List<String> writeLog(Path file, int n) throws Exception {
    try (JsonlAuditSink sink = new JsonlAuditSink(file)) {
      for (int i = 1; i <= n; i++) {
        sink.record(TestEvents.event("req-" + i));
      }
    }
    return Files.readAllLines(file, StandardCharsets.UTF_8);
  }

  static Stream<Arguments> tamperings() {
    return Stream.of(
        Arguments.of("edited line", edit(l -> { l.set(6, l.get(6).replace("\"verdict\":\"redact\"", "\"verdict\":\"allow\"")); return l; }),
            7L, "hash mismatch (line was changed)"),
        Arguments.of("edited line with its hash recomputed", edit(l -> { l.set(6, rechain(l.get(6).replace("req-7", "req-x"))); return l; }),
            8L, "prev does not match line 7's hash (a line was removed or reordered before it)"),
        Arguments.of("deleted line", edit(l -> { l.remove(4); return l; }),
            5L, "prev does not match line 4's hash (a line was removed or reordered before it)"),
        Arguments.of("deleted first line", edit(l -> { l.remove(0); return l; }),
            1L, "prev is not the chain's start value (lines were removed from the start of the file)"),
        Arguments.of("swapped lines", edit(l -> { Collections.swap(l, 2, 3); return l; }),
            3L, "prev does not match line 2's hash (a line was removed or reordered before it)"),
        Arguments.of("truncated last line", edit(l -> { l.set(9, l.get(9).substring(0, l.get(9).length() / 2)); return l; }),
            10L, "not valid JSON"),
        Arguments.of("hash removed", edit(l -> { l.set(1, l.get(1).replaceAll(",\"hash\":\"[^\"]*\"", "")); return l; }),
            2L, "missing hash"),
        Arguments.of("garbage line inserted", edit(l -> { l.add(5, "hello"); return l; }),
            6L, "not valid JSON"),
        Arguments.of("blank line inserted", edit(l -> { l.add(5, ""); return l; }),
            6L, "not valid JSON (empty line)"));
  }

  private static UnaryOperator<List<String>> edit(UnaryOperator<List<String>> op) {
    return op;
  }

  /** What a forger would do: fix the changed line's own hash (the next line's prev still exposes it). */
  private static String rechain(String line) {
    int at = line.indexOf(",\"prev\":\"");
    String prev = line.substring(at + 9, at + 9 + 71);
    byte[] event = (line.substring(0, at) + "}").getBytes(StandardCharsets.UTF_8);
    return new String(HashChain.chain(event, prev).line(), StandardCharsets.UTF_8);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tamperings")
  void namesTheFirstBadLine(String what, UnaryOperator<List<String>> tamper, long badLine, String reason) throws Exception {
    Path file = dir.resolve("audit.jsonl");
    List<String> lines = new ArrayList<>(writeLog(file, 10));
    Files.write(file, tamper.apply(lines), StandardCharsets.UTF_8);

    AuditVerifier.Result result = new AuditVerifier().verify(file);

    assertEquals(badLine, result.badLine(), () -> what + ": " + result.describe());
    assertTrue(result.reason().startsWith(reason), () -> what + ": " + result.reason());
    assertEquals(badLine - 1, result.linesVerified());
    assertEquals("line " + badLine + ": " + result.reason(), result.describe());
  }

  @Test
  void intactLogVerifies() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    writeLog(file, 10);
    AuditVerifier.Result result = new AuditVerifier().verify(file);
    assertTrue(result.ok(), result::describe);
    assertEquals(10, result.linesVerified());
    assertEquals("OK, 10 events, chain intact", result.describe());
  }

  @Test
  void emptyFileIsAnIntactEmptyChain() throws Exception {
    Path file = Files.createFile(dir.resolve("empty.jsonl"));
    assertEquals(new AuditVerifier.Result(0, 0, null), new AuditVerifier().verify(file));
  }

  @Test
  void invalidUtf8IsReported() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    writeLog(file, 2);
    byte[] bytes = Files.readAllBytes(file);
    int quote = new String(bytes, StandardCharsets.ISO_8859_1).indexOf("mail me") ;
    bytes[quote] = (byte) 0xff;
    Files.write(file, bytes);
    assertEquals("line 1: not valid UTF-8", new AuditVerifier().verify(file).describe());
  }
}

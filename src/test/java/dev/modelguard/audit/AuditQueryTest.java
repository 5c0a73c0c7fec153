package dev.modelguard.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.modelguard.guard.Direction;
import dev.modelguard.policy.Action;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AuditQueryTest {
  static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");

  @TempDir static Path dir;
  static Path log;

  /** Six events over three hours, spread over rotated files. */
  static List<AuditEvent> events() {
    return List.of(
        ev("r1", 0, Action.ALLOW, null, "team-a", "/v1", "default"),
        ev("r2", 10, Action.BLOCK, "prompt_injection", "team-a", "/v1", "strict"),
        ev("r3", 70, Action.REDACT, "pii", "team-b", "/v1", "default"),
        ev("r4", 80, Action.BLOCK, "secret", null, "/qwen/v1", "strict"),
        ev("r5", 130, Action.FLAG, "pii", "team-b", "/qwen/v1", "monitor"),
        ev("r6", 140, Action.BLOCK, "pii", "team-a", "/v1", "default"));
  }

  static AuditEvent ev(String id, int minutes, Action verdict, String category, String tenant, String route,
      String policy) {
    AuditEvent.Builder b = AuditEvent.builder().ts(T0.plus(Duration.ofMinutes(minutes))).requestId(id).tenant(tenant)
        .route(route).policy(policy).policyVersion("sha256:00").direction(Direction.PROMPT).verdict(verdict)
        .status(verdict == Action.BLOCK ? 400 : 200).latency(1, 2, 3);
    if (category != null) {
      b.category(category);
    }
    return b.build();
  }

  @BeforeEach
  void writeOnce() throws Exception {
    if (log != null) {
      return;
    }
    log = dir.resolve("audit.jsonl");
    AuditRotationTest.MovableClock clock = new AuditRotationTest.MovableClock(T0);
    try (JsonlAuditSink sink = new JsonlAuditSink(log, new JsonlAuditSink.Options(64, Duration.ZERO, 4096, 0), clock,
        r -> new Thread(r, "w"))) {
      for (AuditEvent e : events()) {
        clock.now = e.ts().plusSeconds(1);
        sink.record(e);
        sink.flush().get(5, TimeUnit.SECONDS);
      }
    }
    Files.writeString(dir.resolve("audit.jsonl"), "{\"torn", java.nio.file.StandardOpenOption.APPEND);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
      everything            | -                     | -                     | -      | -                | -      | -        | -       | -  | r6 r5 r4 r3 r2 r1
      since (inclusive)     | 2026-11-29T11:10:00Z  | -                     | -      | -                | -      | -        | -       | -  | r6 r5 r4 r3
      until (exclusive)     | -                     | 2026-11-29T11:10:00Z  | -      | -                | -      | -        | -       | -  | r2 r1
      since and until       | 2026-11-29T10:10:00Z  | 2026-11-29T12:10:00Z  | -      | -                | -      | -        | -       | -  | r4 r3 r2
      verdict               | -                     | -                     | block  | -                | -      | -        | -       | -  | r6 r4 r2
      category              | -                     | -                     | -      | pii              | -      | -        | -       | -  | r6 r5 r3
      tenant                | -                     | -                     | -      | -                | team-a | -        | -       | -  | r6 r2 r1
      route                 | -                     | -                     | -      | -                | -      | /qwen/v1 | -       | -  | r5 r4
      policy                | -                     | -                     | -      | -                | -      | -        | strict  | -  | r4 r2
      request id            | -                     | -                     | -      | -                | -      | -        | -       | r3 | r3
      block and pii         | -                     | -                     | block  | pii              | -      | -        | -       | -  | r6
      nothing matches       | -                     | -                     | allow  | prompt_injection | -      | -        | -       | -  | ''
      """)
  void filters(String name, String since, String until, String verdict, String category, String tenant,
      String route, String policy, String requestId, String expected) throws Exception {
    AuditQuery.Filter f = new AuditQuery.Filter(since == null ? null : Instant.parse(since),
        until == null ? null : Instant.parse(until), verdict == null ? null : Action.parse(verdict), category, tenant,
        route, policy, requestId);
    AuditQuery.Page page = new AuditQuery(dir).search(f, 0, 100);
    assertEquals(expected, String.join(" ", page.events().stream().map(AuditEvent::requestId).toList()));
    assertEquals(page.events().size(), page.total());
    assertEquals(1, page.skippedLines(), "the torn tail is skipped and counted");
  }

  @ParameterizedTest(name = "offset {0} limit {1}")
  @CsvSource(delimiter = '|', textBlock = """
      0 | 2 | r6 r5
      2 | 2 | r4 r3
      5 | 3 | r1
      6 | 3 | ''
      0 | 0 | ''
      """)
  void pagesNewestFirstWithTheTotal(int offset, int limit, String expected) throws Exception {
    AuditQuery.Page page = new AuditQuery(log).search(AuditQuery.Filter.ALL, offset, limit);
    assertEquals(expected, String.join(" ", page.events().stream().map(AuditEvent::requestId).toList()));
    assertEquals(6, page.total());
  }

  @Test
  void statsCountByVerdictCategoryTenantPolicyAndHour() throws Exception {
    AuditQuery.Stats s = new AuditQuery(log).stats(AuditQuery.Filter.ALL, ChronoUnit.HOURS);
    assertEquals(6, s.events());
    assertEquals(Map.of("allow", 1L, "block", 3L, "flag", 1L, "redact", 1L), s.byVerdict());
    assertEquals(Map.of("pii", 3L, "prompt_injection", 1L, "secret", 1L), s.byCategory());
    assertEquals(Map.of("team-a", 3L, "team-b", 2L, "-", 1L), s.byTenant());
    assertEquals(Map.of("default", 3L, "strict", 2L, "monitor", 1L), s.byPolicy());
    assertEquals(List.of("2026-11-29T10:00:00Z", "2026-11-29T11:00:00Z", "2026-11-29T12:00:00Z"),
        s.buckets().stream().map(AuditQuery.Bucket::start).toList());
    assertEquals(Map.of("redact", 1L, "block", 1L), s.buckets().get(1).byVerdict());
    AuditQuery.Stats days = new AuditQuery(log).stats(AuditQuery.Filter.ALL, ChronoUnit.DAYS);
    assertEquals(1, days.buckets().size());
    assertEquals(6, days.buckets().get(0).events());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      90s                   | 2026-11-29T11:58:30Z
      15m                   | 2026-11-29T11:45:00Z
      1h                    | 2026-11-29T11:00:00Z
      2d                    | 2026-11-27T12:00:00Z
      2026-11-28T08:30:00Z  | 2026-11-28T08:30:00Z
      2026-11-28            | 2026-11-28T00:00:00Z
      """)
  void timeBounds(String value, String expected) {
    Clock noon = Clock.fixed(Instant.parse("2026-11-29T12:00:00Z"), ZoneOffset.UTC);
    assertEquals(Instant.parse(expected), AuditQuery.parseTime(value, noon));
  }

  @Test
  void badTimeNamesTheValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> AuditQuery.parseTime("yesterday", Clock.systemUTC()));
    assertEquals("'yesterday' is not a time: use 30s, 15m, 1h, 7d, an ISO instant (2026-11-29T12:00:00Z) or a date"
        + " (2026-11-29)", e.getMessage());
  }
}

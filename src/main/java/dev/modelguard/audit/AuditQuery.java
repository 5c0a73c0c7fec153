package dev.modelguard.audit;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.modelguard.policy.Action;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads audit events back for review: the filters, paging and statistics shared by the
 * {@code audit search/tail/stats} commands and the admin API.
 *
 * <p>A query is bound to one log (a JSONL file or directory, read across its rotated files, see
 * {@link AuditFiles}) or to any other {@link Source}. Every call re-reads the source, so results
 * include events written since; memory stays bounded by {@code offset + limit} events plus the
 * statistics' counters. Lines that are not events (a torn last line after a crash, a damaged
 * line) are skipped and counted in {@link Page#skippedLines()}; integrity is {@code audit
 * verify}'s business, not the reader's.
 *
 * <p>Immutable and thread-safe; every method blocks on I/O, so call it from a worker thread (the
 * admin API uses {@code executeBlocking}), never from the event loop.
 */
public final class AuditQuery {

  /**
   * Where events come from, oldest first. Implementations call {@code sink} for every event that
   * passes {@code filter} (they may use it to narrow their own reads) and return the number of
   * unreadable records they skipped.
   */
  @FunctionalInterface
  public interface Source {
    /**
     * Streams the events matching {@code filter}, oldest first, into {@code sink}.
     *
     * @throws IOException when the store cannot be read
     */
    long scan(Filter filter, Consumer<AuditEvent> sink) throws IOException;
  }

  /**
   * Which events to return; a null field does not filter. Times are inclusive at {@code since}
   * and exclusive at {@code until}; categories match when the event has that category.
   */
  public record Filter(Instant since, Instant until, Action verdict, String category, String tenant, String route,
      String policy, String requestId) {
    /** Matches every event. */
    public static final Filter ALL = new Filter(null, null, null, null, null, null, null, null);

    /** True when {@code e} passes every set field. */
    public boolean matches(AuditEvent e) {
      return (since == null || !e.ts().isBefore(since))
          && (until == null || e.ts().isBefore(until))
          && (verdict == null || e.verdict() == verdict)
          && (category == null || e.categories().contains(category))
          && (tenant == null || tenant.equals(e.tenant()))
          && (route == null || route.equals(e.route()))
          && (policy == null || policy.equals(e.policy()))
          && (requestId == null || requestId.equals(e.requestId()));
    }
  }

  /**
   * One page of results, newest first.
   *
   * @param events at most {@code limit} events after skipping {@code offset}
   * @param total how many events matched in all
   * @param skippedLines records that could not be read as events
   */
  @JsonPropertyOrder({"total", "offset", "limit", "skipped_lines", "events"})
  public record Page(@JsonProperty("events") List<AuditEvent> events, @JsonProperty("total") long total,
      @JsonProperty("offset") int offset, @JsonProperty("limit") int limit,
      @JsonProperty("skipped_lines") long skippedLines) {}

  /**
   * Counts over the matching events.
   *
   * @param events how many matched
   * @param byVerdict count per verdict
   * @param byCategory count of events per category (an event with two categories counts in both)
   * @param byTenant count per tenant ({@code -} for none)
   * @param byPolicy count per policy name
   * @param buckets per hour or day (UTC, by the start of the bucket): verdict and category counts,
   *     oldest first, only buckets with events
   */
  @JsonPropertyOrder({"events", "by_verdict", "by_category", "by_tenant", "by_policy", "buckets"})
  public record Stats(@JsonProperty("events") long events,
      @JsonProperty("by_verdict") Map<String, Long> byVerdict,
      @JsonProperty("by_category") Map<String, Long> byCategory,
      @JsonProperty("by_tenant") Map<String, Long> byTenant,
      @JsonProperty("by_policy") Map<String, Long> byPolicy,
      @JsonProperty("buckets") List<Bucket> buckets) {}

  /**
   * One time bucket of {@link Stats}.
   *
   * @param start the bucket's first instant
   * @param events events in it
   * @param byVerdict count per verdict
   * @param byCategory count per category
   */
  @JsonPropertyOrder({"start", "events", "by_verdict", "by_category"})
  public record Bucket(@JsonProperty("start") String start, @JsonProperty("events") long events,
      @JsonProperty("by_verdict") Map<String, Long> byVerdict,
      @JsonProperty("by_category") Map<String, Long> byCategory) {}

  /** Longest an event may wait in the sink's queue, for skipping files by {@code until}. */
  private static final Duration UNTIL_MARGIN = Duration.ofMinutes(5);
  private static final Pattern RELATIVE = Pattern.compile("(\\d+)([smhd])");

  private final Source source;

  /** A query over the JSONL log {@code fileOrDir}, across its rotated files. */
  public AuditQuery(Path fileOrDir) {
    this(jsonl(fileOrDir));
  }

  /** A query over any source (the PostgreSQL sink's table, a test's list). */
  public AuditQuery(Source source) {
    this.source = Objects.requireNonNull(source, "source");
  }

  /**
   * The matching events, newest first, skipping {@code offset} and returning at most {@code limit}.
   *
   * @throws IllegalArgumentException when offset or limit is negative
   * @throws IOException when the log cannot be read
   */
  public Page search(Filter filter, int offset, int limit) throws IOException {
    if (offset < 0 || limit < 0) {
      throw new IllegalArgumentException("offset and limit must be >= 0, were " + offset + " and " + limit);
    }
    int keep = (int) Math.min((long) offset + limit, Integer.MAX_VALUE);
    ArrayDeque<AuditEvent> newest = new ArrayDeque<>();
    long[] total = {0};
    long skipped = source.scan(filter, e -> {
      if (!filter.matches(e)) {
        return;
      }
      total[0]++;
      if (keep == 0) {
        return;
      }
      if (newest.size() == keep) {
        newest.removeFirst();
      }
      newest.addLast(e);
    });
    List<AuditEvent> page = new ArrayList<>(limit);
    var it = newest.descendingIterator();
    for (int i = 0; it.hasNext(); i++) {
      AuditEvent e = it.next();
      if (i >= offset) {
        page.add(e);
      }
    }
    return new Page(page, total[0], offset, limit, skipped);
  }

  /**
   * Counts the matching events by verdict, category, tenant, policy and by {@code bucket}
   * ({@link ChronoUnit#HOURS} or {@link ChronoUnit#DAYS}).
   *
   * @throws IOException when the log cannot be read
   */
  public Stats stats(Filter filter, ChronoUnit bucket) throws IOException {
    if (bucket != ChronoUnit.HOURS && bucket != ChronoUnit.DAYS) {
      throw new IllegalArgumentException("bucket must be HOURS or DAYS, was " + bucket);
    }
    Map<String, Long> byVerdict = new TreeMap<>();
    Map<String, Long> byCategory = new TreeMap<>();
    Map<String, Long> byTenant = new TreeMap<>();
    Map<String, Long> byPolicy = new TreeMap<>();
    TreeMap<Instant, Map<String, Long>[]> buckets = new TreeMap<>();
    long[] events = {0};
    source.scan(filter, e -> {
      if (!filter.matches(e)) {
        return;
      }
      events[0]++;
      String verdict = e.verdict().wireName();
      byVerdict.merge(verdict, 1L, Long::sum);
      e.categories().forEach(c -> byCategory.merge(c, 1L, Long::sum));
      byTenant.merge(e.tenant() == null ? "-" : e.tenant(), 1L, Long::sum);
      byPolicy.merge(e.policy(), 1L, Long::sum);
      @SuppressWarnings("unchecked")
      Map<String, Long>[] b = buckets.computeIfAbsent(e.ts().truncatedTo(bucket),
          k -> new Map[] {new TreeMap<String, Long>(), new TreeMap<String, Long>()});
      b[0].merge(verdict, 1L, Long::sum);
      e.categories().forEach(c -> b[1].merge(c, 1L, Long::sum));
    });
    List<Bucket> list = new ArrayList<>();
    buckets.forEach((start, b) -> list.add(new Bucket(start.toString(),
        b[0].values().stream().mapToLong(Long::longValue).sum(), b[0], b[1])));
    return new Stats(events[0], byVerdict, byCategory, byTenant, byPolicy, list);
  }

  /**
   * Parses a time bound: a duration back from now ({@code 30s}, {@code 15m}, {@code 1h},
   * {@code 7d}), an ISO-8601 instant ({@code 2026-11-29T12:00:00Z}) or a UTC date
   * ({@code 2026-11-29}, its start).
   *
   * @throws IllegalArgumentException naming the value when it is none of these
   */
  public static Instant parseTime(String value, Clock clock) {
    String v = value.strip();
    Matcher m = RELATIVE.matcher(v.toLowerCase(Locale.ROOT));
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      Duration d = switch (m.group(2)) {
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
      return clock.instant().minus(d);
    }
    try {
      return Instant.parse(v);
    } catch (DateTimeParseException notInstant) {
      try {
        return LocalDate.parse(v).atStartOfDay(ZoneOffset.UTC).toInstant();
      } catch (DateTimeParseException notDate) {
        throw new IllegalArgumentException("'" + value + "' is not a time: use 30s, 15m, 1h, 7d, an ISO instant"
            + " (2026-11-29T12:00:00Z) or a date (2026-11-29)");
      }
    }
  }

  /** Reads {@code fileOrDir}'s files oldest first; a line without a newline (torn) is skipped. */
  static Source jsonl(Path fileOrDir) {
    return (filter, sink) -> {
      long skipped = 0;
      Instant fileStart = null;
      for (Path file : AuditFiles.expand(fileOrDir)) {
        // A file starts where the one before it was rotated, so one starting well after `until`
        // holds nothing before it. "Well": an event is stamped when decided and written when the
        // writer gets to it, so under a backlog it can land in a file rotated after its time.
        Instant start = fileStart;
        fileStart = AuditFiles.rotatedAt(file).orElse(null);
        if (filter.until() != null && start != null && start.minus(UNTIL_MARGIN).isAfter(filter.until())) {
          continue;
        }
        // A rotated file holds nothing newer than its rotation time (named to the second, hence
        // the extra second), so a `since` after that skips the whole file.
        if (filter.since() != null && AuditFiles.rotatedAt(file)
            .map(at -> at.plusSeconds(1).isBefore(filter.since())).orElse(false)) {
          continue;
        }
        skipped += readFile(file, sink);
      }
      return skipped;
    };
  }

  private static long readFile(Path file, Consumer<AuditEvent> sink) throws IOException {
    long skipped = 0;
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 64 * 1024)) {
      ByteArrayOutputStream line = new ByteArrayOutputStream(2048);
      int b;
      while ((b = in.read()) >= 0) {
        if (b != '\n') {
          line.write(b);
          continue;
        }
        AuditEvent event = null;
        try {
          event = HashChain.MAPPER.readValue(line.toByteArray(), AuditEvent.class);
        } catch (IOException | RuntimeException notAnEvent) {
          skipped++;
        }
        line.reset();
        if (event != null) {
          sink.accept(event);
        }
      }
      if (line.size() > 0) {
        skipped++;
      }
    }
    return skipped;
  }
}

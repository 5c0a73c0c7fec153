package dev.modelguard.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.modelguard.api.Jsons;
import dev.modelguard.audit.AuditEvent;
import dev.modelguard.audit.AuditFiles;
import dev.modelguard.audit.AuditFollower;
import dev.modelguard.audit.AuditQuery;
import dev.modelguard.audit.PostgresAuditStore;
import dev.modelguard.config.GatewayConfig;
import io.vertx.core.Vertx;
import dev.modelguard.audit.AuditVerifier;
import dev.modelguard.guard.Categories;
import dev.modelguard.policy.Action;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code modelguard audit ...}: audit log review. Without a subcommand it prints its usage and
 * exits 2. Output goes to the {@link CommandLine}'s out and err writers, so callers (and tests)
 * can capture it. Not thread-safe: picocli creates one instance per run.
 */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description = "Review the audit log.",
    subcommands = {AuditCommand.Verify.class, AuditCommand.Search.class, AuditCommand.Tail.class,
        AuditCommand.Stats.class})
public class AuditCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  /** Used by picocli and by {@code Main}. */
  public AuditCommand() {}

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return CommandLine.ExitCode.USAGE;
  }

  /**
   * {@code audit verify FILE...|DIR}: recomputes the hash chain across the log's files. One
   * argument names a log (its active file, which brings its rotated files along, a rotated file,
   * or the directory holding it); several arguments are verified as one chain in the order given.
   * Prints {@code ARG: OK, N events, chain intact} and exits 0; prints {@code FILE:LINE: reason}
   * for the first bad line and exits 1; a missing or unreadable file is a usage error (exit 2) with
   * a message naming the file.
   */
  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description = {
        "Recompute the audit log's hash chain and name the first line that was changed, removed or reordered.",
        "FILE may be the active log (its rotated files are included), a rotated file, or the directory of the log;"
            + " several files are verified as one chain in the order given.",
        "Exit codes: 0 chain intact, 1 tampered or damaged, 2 file missing or unreadable."
      })
  public static class Verify implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "the JSONL audit log (file or directory)")
    List<Path> args;

    /** Used by picocli. */
    public Verify() {}

    @Override
    public Integer call() {
      String shown = args.stream().map(Path::toString).collect(Collectors.joining(" "));
      AuditVerifier.Result result;
      try {
        result = new AuditVerifier().verify(AuditFiles.expand(args));
      } catch (NoSuchFileException e) {
        spec.commandLine().getErr().println(e.getFile() + ": " + (e.getReason() != null ? e.getReason() : "no such file"));
        return CommandLine.ExitCode.USAGE;
      } catch (AccessDeniedException e) {
        spec.commandLine().getErr().println(e.getFile() + ": permission denied");
        return CommandLine.ExitCode.USAGE;
      } catch (IOException e) {
        spec.commandLine().getErr().println((e.getMessage() != null && e.getMessage().startsWith(shown)
            ? e.getMessage() : shown + ": cannot read: " + e.getMessage()));
        return CommandLine.ExitCode.USAGE;
      }
      if (result.ok()) {
        spec.commandLine().getOut().println(shown + ": " + result.describe());
        return CommandLine.ExitCode.OK;
      }
      spec.commandLine().getOut().println(result.badFile() + ":" + result.badLine() + ": " + result.reason());
      return 1;
    }
  }

  /** The log to read: {@code --file F|DIR}, read across its rotated files. */
  static final class LogOption {
    @Option(names = "--file", required = true, paramLabel = "F|DIR",
        description = "the audit log: its active file or its directory (rotated files are included)")
    Path file;
  }

  /**
   * Where search and stats read: {@code --file F|DIR} (a JSONL log across its rotated files) or
   * {@code --postgres URL} (the table every instance copies its log into).
   */
  static final class SourceOptions {
    @Option(names = "--file", paramLabel = "F|DIR",
        description = "the audit log: its active file or its directory (rotated files are included)")
    Path file;
    @Option(names = "--postgres", paramLabel = "URL",
        description = "read the PostgreSQL copy instead: postgresql://user@host:port/database")
    String postgres;
    @Option(names = "--table", paramLabel = "T", defaultValue = "modelguard_audit",
        description = "the PostgreSQL table (default: ${DEFAULT-VALUE})")
    String table;

    /** What error messages name. */
    Path shown() {
      return file != null ? file : Path.of(postgres == null ? "-" : GatewayConfig.Postgres.redact(postgres));
    }

    /** Runs {@code body} with a query over the chosen source, closing what it opened. */
    int withQuery(QueryBody body) throws IOException {
      if ((file == null) == (postgres == null)) {
        throw new IllegalArgumentException("give exactly one of --file F|DIR or --postgres URL");
      }
      if (file != null) {
        return body.run(new AuditQuery(file));
      }
      GatewayConfig.Postgres cfg;
      try {
        cfg = new GatewayConfig.Postgres(postgres, table, "cli", 1, 1000);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("--postgres/--table: " + e.getMessage());
      }
      Vertx vertx = Vertx.vertx();
      try (PostgresAuditStore store = new PostgresAuditStore(vertx, cfg)) {
        return body.run(new AuditQuery(store.source()));
      } finally {
        vertx.close();
      }
    }
  }

  /** A command body that reads through a query. */
  @FunctionalInterface
  interface QueryBody {
    int run(AuditQuery query) throws IOException;
  }

  /** The filters shared by search and stats. */
  static final class FilterOptions {
    @Option(names = "--since", paramLabel = "TIME", description = "from this time: 30s, 15m, 1h, 7d, an ISO instant or a date")
    String since;
    @Option(names = "--until", paramLabel = "TIME", description = "before this time (same forms as --since)")
    String until;
    @Option(names = "--verdict", paramLabel = "V", description = "allow, flag, redact or block")
    String verdict;
    @Option(names = "--category", paramLabel = "C", description = "events with this finding category (pii, secret, ...)")
    String category;
    @Option(names = "--tenant", paramLabel = "T", description = "events of this tenant")
    String tenant;
    @Option(names = "--route", paramLabel = "R", description = "events of this route prefix (/v1)")
    String route;
    @Option(names = "--policy", paramLabel = "P", description = "events decided by this policy")
    String policy;
    @Option(names = "--request-id", paramLabel = "ID", description = "the events of one request")
    String requestId;

    AuditQuery.Filter toFilter(Clock clock) {
      Action v = null;
      if (verdict != null) {
        try {
          v = Action.parse(verdict);
        } catch (RuntimeException e) {
          throw new IllegalArgumentException("--verdict: '" + verdict + "' is not one of allow, flag, redact, block");
        }
      }
      if (category != null && !Categories.ALL.contains(category)) {
        throw new IllegalArgumentException("--category: unknown category '" + category + "' (valid: "
            + String.join(", ", Categories.ALL) + ")");
      }
      return new AuditQuery.Filter(time("--since", since, clock), time("--until", until, clock), v, category,
          tenant, route, policy, requestId);
    }

    private static Instant time(String option, String value, Clock clock) {
      if (value == null) {
        return null;
      }
      try {
        return AuditQuery.parseTime(value, clock);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(option + ": " + e.getMessage());
      }
    }
  }

  /** Runs {@code body}, turning bad arguments and unreadable logs into messages and exit codes. */
  static int guarded(CommandSpec spec, Path file, IoBody body) {
    try {
      return body.run();
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println(e.getMessage());
      return CommandLine.ExitCode.USAGE;
    } catch (NoSuchFileException e) {
      spec.commandLine().getErr().println(e.getFile() + ": " + (e.getReason() != null ? e.getReason() : "no such file"));
      return CommandLine.ExitCode.USAGE;
    } catch (IOException e) {
      String m = String.valueOf(e.getMessage());
      spec.commandLine().getErr().println(m.startsWith(file.toString()) ? m : file + ": cannot read: " + m);
      return CommandLine.ExitCode.USAGE;
    }
  }

  /** A command body that may fail with I/O. */
  @FunctionalInterface
  interface IoBody {
    int run() throws IOException;
  }

  /** Formats events as an aligned table, one row per event. */
  static String table(List<AuditEvent> events) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"TIME", "REQUEST_ID", "DIRECTION", "VERDICT", "STATUS", "POLICY", "TENANT", "ROUTE",
        "CATEGORIES"});
    for (AuditEvent e : events) {
      rows.add(new String[] {e.ts().toString(), e.requestId(), e.direction().toString().toLowerCase(Locale.ROOT),
          e.verdict().wireName() + (e.enforced() ? "" : " (monitor)"), String.valueOf(e.status()), e.policy(),
          e.tenant() == null ? "-" : e.tenant(), e.route(),
          e.categories().isEmpty() ? "-" : String.join(",", e.categories())});
    }
    int[] width = new int[rows.get(0).length];
    for (String[] r : rows) {
      for (int i = 0; i < r.length; i++) {
        width[i] = Math.max(width[i], r[i].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (String[] r : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < r.length; i++) {
        line.append(r[i]);
        if (i < r.length - 1) {
          line.append(" ".repeat(width[i] - r[i].length() + 2));
        }
      }
      sb.append(line.toString().stripTrailing()).append('\n');
    }
    return sb.toString();
  }

  static String json(Object value) {
    try {
      return Jsons.MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("audit records always serialise", e);
    }
  }

  /**
   * {@code audit search}: the events matching the filters, as a table (oldest of the page first)
   * or as JSON lines; at most {@code --limit} of the newest matches. Exit 0 (also when nothing
   * matches), 2 for a bad argument or unreadable log.
   */
  @Command(name = "search", mixinStandardHelpOptions = true,
      description = "Find audit events by time, verdict, category, tenant, route, policy or request id.")
  public static class Search implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin SourceOptions log = new SourceOptions();
    @Mixin FilterOptions filters = new FilterOptions();
    @Option(names = "--json", description = "one JSON object per line instead of a table")
    boolean json;
    @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "newest N matches (default: ${DEFAULT-VALUE})")
    int limit;

    /** Used by picocli. */
    public Search() {}

    @Override
    public Integer call() {
      return guarded(spec, log.shown(), () -> log.withQuery(query -> {
        if (limit < 0) {
          throw new IllegalArgumentException("--limit: must be >= 0, was " + limit);
        }
        AuditQuery.Page page = query.search(filters.toFilter(Clock.systemUTC()), 0, limit);
        List<AuditEvent> chronological = new ArrayList<>(page.events());
        Collections.reverse(chronological);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
          chronological.forEach(e -> out.println(json(e)));
        } else {
          out.print(table(chronological));
          out.println(page.events().size() + " of " + page.total() + " matching events"
              + (page.skippedLines() > 0 ? " (" + page.skippedLines() + " unreadable lines skipped)" : ""));
        }
        out.flush();
        return CommandLine.ExitCode.OK;
      }));
    }
  }

  /**
   * {@code audit tail [-f]}: the last {@code -n} events; with {@code -f}, then every new event as
   * it is written, across rotations, until interrupted (Ctrl-C).
   */
  @Command(name = "tail", mixinStandardHelpOptions = true, description = "Show the newest audit events; -f follows the log.")
  public static class Tail implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin LogOption log = new LogOption();
    @Option(names = {"-f", "--follow"}, description = "keep printing new events as they are written")
    boolean follow;
    @Option(names = "-n", paramLabel = "N", defaultValue = "10", description = "events shown first (default: ${DEFAULT-VALUE})")
    int lines;
    @Option(names = "--json", description = "one JSON object per line instead of table rows")
    boolean json;

    /** Used by picocli. */
    public Tail() {}

    @Override
    public Integer call() {
      return guarded(spec, log.file, () -> {
        PrintWriter out = spec.commandLine().getOut();
        List<AuditEvent> last = new ArrayList<>(new AuditQuery(log.file).search(AuditQuery.Filter.ALL, 0,
            Math.max(0, lines)).events());
        Collections.reverse(last);
        print(out, last, true);
        if (follow) {
          List<Path> files = AuditFiles.expand(log.file);
          try (AuditFollower follower = AuditFollower.fromEnd(files.get(files.size() - 1))) {
            while (!Thread.currentThread().isInterrupted()) {
              List<AuditEvent> fresh = follower.poll();
              print(out, fresh, false);
              if (fresh.isEmpty()) {
                try {
                  Thread.sleep(250);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
            }
          }
        }
        return CommandLine.ExitCode.OK;
      });
    }

    private void print(PrintWriter out, List<AuditEvent> events, boolean header) {
      if (json) {
        events.forEach(e -> out.println(json(e)));
      } else if (!events.isEmpty()) {
        String t = table(events);
        out.print(header ? t : t.substring(t.indexOf('\n') + 1));
      }
      out.flush();
    }
  }

  /**
   * {@code audit stats}: counts of the matching events by verdict, category, tenant and policy,
   * and per hour or day; as text or JSON.
   */
  @Command(name = "stats", mixinStandardHelpOptions = true,
      description = "Count audit events by verdict, category, tenant and policy, over time.")
  public static class Stats implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin SourceOptions log = new SourceOptions();
    @Mixin FilterOptions filters = new FilterOptions();
    @Option(names = "--by", paramLabel = "hour|day", defaultValue = "hour", description = "time buckets (default: ${DEFAULT-VALUE})")
    String by;
    @Option(names = "--json", description = "print the counts as one JSON object")
    boolean json;

    /** Used by picocli. */
    public Stats() {}

    @Override
    public Integer call() {
      return guarded(spec, log.shown(), () -> log.withQuery(query -> {
        ChronoUnit unit = switch (by) {
          case "hour" -> ChronoUnit.HOURS;
          case "day" -> ChronoUnit.DAYS;
          default -> throw new IllegalArgumentException("--by: '" + by + "' is not hour or day");
        };
        AuditQuery.Stats stats = query.stats(filters.toFilter(Clock.systemUTC()), unit);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
          out.println(json(stats));
        } else {
          out.println("events: " + stats.events());
          out.println("by verdict:  " + counts(stats.byVerdict()));
          out.println("by category: " + counts(stats.byCategory()));
          out.println("by tenant:   " + counts(stats.byTenant()));
          out.println("by policy:   " + counts(stats.byPolicy()));
          out.println("by " + by + ":");
          for (AuditQuery.Bucket b : stats.buckets()) {
            out.println("  " + b.start() + "  " + b.events() + " events  " + counts(b.byVerdict())
                + (b.byCategory().isEmpty() ? "" : "  | " + counts(b.byCategory())));
          }
        }
        out.flush();
        return CommandLine.ExitCode.OK;
      }));
    }

    private static String counts(Map<String, Long> m) {
      return m.isEmpty() ? "-" : m.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
          .collect(Collectors.joining(" "));
    }
  }
}

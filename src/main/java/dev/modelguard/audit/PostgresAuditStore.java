package dev.modelguard.audit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelguard.config.GatewayConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Audit events in PostgreSQL: the schema, batched idempotent inserts of chained lines, the
 * per-instance replication cursor, and an {@link AuditQuery.Source} that reads them back with the
 * filters pushed down to indexed columns.
 *
 * <p>Table {@code T} holds one row per chained line, keyed by the line's {@code hash} (so a
 * replayed line is ignored, never duplicated), with the filter columns indexed and the exact line
 * in {@code line} (so chains can still be verified from the database). Table {@code T_cursor}
 * holds, per instance, the hash of the last line copied; it is updated in the same transaction as
 * the inserts, so after any failure replication resumes exactly after what was committed.
 *
 * <p>Threading: the insert and cursor methods return Vert.x futures and may be called from any
 * thread; {@link #source()} blocks waiting for the database, so it must run on a worker thread.
 * Failures (database unreachable, connection killed) fail the returned future or throw
 * {@link IOException} from the source; nothing is retried here: the caller decides.
 */
public final class PostgresAuditStore implements AutoCloseable {
  /** Rows fetched per round trip when reading back. */
  static final int READ_CHUNK = 2000;
  private static final long WAIT_SECONDS = 30;

  /**
   * One chained line ready for insertion.
   *
   * @param hash the line's hash (primary key)
   * @param prev the hash of the line before it
   * @param event the parsed event, for the filter columns
   * @param line the exact line as written to the JSONL file
   */
  public record Line(String hash, String prev, AuditEvent event, String line) {
    /** Parses a chained line; an unreadable line is an {@link IOException} naming the problem. */
    public static Line parse(byte[] bytes) throws IOException {
      JsonNode node = HashChain.MAPPER.readTree(bytes);
      if (node == null || !node.hasNonNull("hash") || !node.hasNonNull("prev")) {
        throw new IOException("not a chained audit line (no hash/prev)");
      }
      AuditEvent event = HashChain.MAPPER.treeToValue(node, AuditEvent.class);
      return new Line(node.get("hash").asText(), node.get("prev").asText(), event,
          new String(bytes, StandardCharsets.UTF_8));
    }
  }

  private final Pool pool;
  private final String table;
  private final String instance;

  /** A store using {@code config}'s database and table; connects lazily, on first use. */
  public PostgresAuditStore(Vertx vertx, GatewayConfig.Postgres config) {
    PgConnectOptions connect = PgConnectOptions.fromUri(config.url());
    // Names the connections in pg_stat_activity, so operators can tell whose they are.
    String app = "modelguard-audit " + config.instance();
    connect.addProperty("application_name", app.length() > 63 ? app.substring(0, 63) : app);
    this.pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(4)).connectingTo(connect).using(vertx).build();
    this.table = config.table();
    this.instance = config.instance();
  }

  /** The table name. */
  public String table() {
    return table;
  }

  /**
   * Creates the tables and indexes if they are missing. Safe when several gateways start together:
   * an advisory lock serialises the DDL.
   */
  public Future<Void> createSchema() {
    List<String> ddl = List.of(
        // "already exists, skipping" notices would be logged as warnings at every start.
        "SET LOCAL client_min_messages = warning",
        "SELECT pg_advisory_xact_lock(hashtext('modelguard_audit_schema'))",
        "CREATE TABLE IF NOT EXISTS " + table + " ("
            + "hash text PRIMARY KEY, prev text NOT NULL, instance text NOT NULL, ts timestamptz NOT NULL,"
            + " request_id text NOT NULL, tenant text, route text NOT NULL, policy text NOT NULL,"
            + " direction text NOT NULL, verdict text NOT NULL, categories text[] NOT NULL, status int NOT NULL,"
            + " line text NOT NULL)",
        "CREATE TABLE IF NOT EXISTS " + table + "_cursor (instance text PRIMARY KEY, hash text NOT NULL,"
            + " updated timestamptz NOT NULL DEFAULT now())",
        "CREATE INDEX IF NOT EXISTS " + table + "_ts ON " + table + " (ts, hash)",
        "CREATE INDEX IF NOT EXISTS " + table + "_verdict ON " + table + " (verdict, ts)",
        "CREATE INDEX IF NOT EXISTS " + table + "_tenant ON " + table + " (tenant, ts)",
        "CREATE INDEX IF NOT EXISTS " + table + "_route ON " + table + " (route, ts)",
        "CREATE INDEX IF NOT EXISTS " + table + "_policy ON " + table + " (policy, ts)",
        "CREATE INDEX IF NOT EXISTS " + table + "_request ON " + table + " (request_id)",
        "CREATE INDEX IF NOT EXISTS " + table + "_categories ON " + table + " USING gin (categories)");
    return pool.withTransaction(conn -> {
      Future<?> chain = Future.succeededFuture();
      for (String sql : ddl) {
        chain = chain.compose(ignored -> conn.query(sql).execute());
      }
      return chain.mapEmpty();
    });
  }

  /** The hash of the last line this instance copied, or null when none was. */
  public Future<String> cursor() {
    return pool.preparedQuery("SELECT hash FROM " + table + "_cursor WHERE instance = $1")
        .execute(Tuple.of(instance))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString(0));
  }

  /**
   * Inserts {@code lines} (ignoring any already present) and moves this instance's cursor to the
   * last one, in one transaction.
   */
  public Future<Void> insert(List<Line> lines) {
    if (lines.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Tuple> tuples = new ArrayList<>(lines.size());
    for (Line l : lines) {
      AuditEvent e = l.event();
      tuples.add(Tuple.tuple(List.of(l.hash(), l.prev(), instance, OffsetDateTime.ofInstant(e.ts(), ZoneOffset.UTC),
          e.requestId(), e.tenant() == null ? "" : e.tenant(), e.route(), e.policy(), e.direction().wireName(),
          e.verdict().wireName(), e.categories().toArray(new String[0]), e.status(), l.line())));
    }
    String last = lines.get(lines.size() - 1).hash();
    return pool.withTransaction(conn -> conn.preparedQuery("INSERT INTO " + table
            + " (hash, prev, instance, ts, request_id, tenant, route, policy, direction, verdict, categories, status,"
            + " line) VALUES ($1, $2, $3, $4, $5, NULLIF($6, ''), $7, $8, $9, $10, $11, $12, $13)"
            + " ON CONFLICT (hash) DO NOTHING")
        .executeBatch(tuples)
        .compose(ignored -> conn.preparedQuery("INSERT INTO " + table + "_cursor (instance, hash) VALUES ($1, $2)"
            + " ON CONFLICT (instance) DO UPDATE SET hash = EXCLUDED.hash, updated = now()")
            .execute(Tuple.of(instance, last)))
        .mapEmpty());
  }

  /** How many events the table holds (all instances). */
  public Future<Long> count() {
    return pool.query("SELECT count(*) FROM " + table).execute().map(rows -> rows.iterator().next().getLong(0));
  }

  /**
   * Reads events of every instance oldest first, the filter's fields pushed down as WHERE clauses
   * and the rows fetched in chunks by (ts, hash). Blocks: call it on a worker thread.
   */
  public AuditQuery.Source source() {
    return (filter, sink) -> {
      StringBuilder where = new StringBuilder(" WHERE true");
      List<Object> params = new ArrayList<>();
      add(where, params, "ts >= $", filter.since() == null ? null : utc(filter.since()));
      add(where, params, "ts < $", filter.until() == null ? null : utc(filter.until()));
      add(where, params, "verdict = $", filter.verdict() == null ? null : filter.verdict().wireName());
      add(where, params, "$::text = ANY(categories)", filter.category());
      add(where, params, "tenant = $", filter.tenant());
      add(where, params, "route = $", filter.route());
      add(where, params, "policy = $", filter.policy());
      add(where, params, "request_id = $", filter.requestId());
      long skipped = 0;
      OffsetDateTime afterTs = null;
      String afterHash = null;
      while (true) {
        List<Object> p = new ArrayList<>(params);
        String keyset = "";
        if (afterTs != null) {
          p.add(afterTs);
          p.add(afterHash);
          keyset = " AND (ts, hash) > ($" + (p.size() - 1) + ", $" + p.size() + ")";
        }
        String sql = "SELECT ts, hash, line FROM " + table + where + keyset + " ORDER BY ts, hash LIMIT " + READ_CHUNK;
        RowSet<Row> rows = await(pool.preparedQuery(sql).execute(Tuple.from(p)));
        for (Row r : rows) {
          afterTs = r.getOffsetDateTime("ts");
          afterHash = r.getString("hash");
          AuditEvent event;
          try {
            event = HashChain.MAPPER.readValue(r.getString("line"), AuditEvent.class);
          } catch (IOException | RuntimeException e) {
            skipped++;
            continue;
          }
          sink.accept(event);
        }
        if (rows.size() < READ_CHUNK) {
          return skipped;
        }
      }
    };
  }

  private static void add(StringBuilder where, List<Object> params, String clause, Object value) {
    if (value != null) {
      params.add(value);
      where.append(" AND ").append(clause.replace("$", "$" + params.size()));
    }
  }

  private static OffsetDateTime utc(Instant i) {
    return OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
  }

  /** Waits for {@code f} on the calling (worker) thread, turning a failure into an IOException. */
  static <T> T await(Future<T> f) throws IOException {
    try {
      return f.toCompletionStage().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new IOException("PostgreSQL: " + cause.getMessage(), cause);
    } catch (TimeoutException e) {
      throw new IOException("PostgreSQL: no answer within " + WAIT_SECONDS + " s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for PostgreSQL", e);
    }
  }

  @Override
  public void close() {
    try {
      await(pool.close());
    } catch (IOException e) {
      // Closing anyway; nothing is pending that the cursor would not replay.
    }
  }

  @Override
  public String toString() {
    return "PostgresAuditStore[" + table + ", instance " + Objects.toString(instance) + "]";
  }
}

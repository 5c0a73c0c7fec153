package dev.modelguard.audit;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import dev.modelguard.guard.Categories;
import dev.modelguard.guard.Direction;
import dev.modelguard.guard.Finding;
import dev.modelguard.policy.Action;
import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One audited decision (SPEC section 8): what was scanned, what was found, what was done. One
 * event is written per direction of a request (prompt, response).
 *
 * <p>Immutable and thread-safe; build one with {@link #builder()} on any thread and hand it to an
 * {@link AuditSink}. The compact constructor rejects an event that would be useless to an auditor
 * (a missing id, policy or verdict) with an exception naming the field, so a bad event fails where
 * it is made, not later on the writer thread.
 *
 * <p>JSON form: snake_case names in declaration order, {@code ts} as ISO-8601 UTC with
 * milliseconds ({@code 2026-11-29T12:00:00.123Z}), null fields omitted, and {@code errors} and
 * {@code notes} omitted when empty (they are empty for almost every event). {@code prev} and
 * {@code hash} are not part of the event: the sink appends them when it chains the line.
 *
 * @param ts when the decision was made; truncated to milliseconds, as that is what is stored
 * @param requestId the request id, as sent in {@code x-modelguard-request-id}
 * @param tenant the tenant of the gateway key, or null when tenants are off
 * @param route the matched route prefix ({@code /v1})
 * @param policy the policy's name
 * @param policyVersion {@code sha256:<hex>} of the policy file the decision was made with
 * @param direction prompt or response
 * @param verdict the most severe action decided (allow, flag, redact, block)
 * @param enforced false when the policy is in monitor mode and the verdict was not applied
 * @param categories the distinct categories of the findings that produced the verdict
 * @param findings what the guards found; offsets index the stored {@code text} when present
 * @param errors guard failures and timeouts (each one was handled per the policy's on_error)
 * @param upstream the upstream's name, or null when the request never reached one
 * @param status the HTTP status returned to the client (0 when none was sent, e.g. a dropped connection)
 * @param latency time spent in guards, upstream and in total
 * @param text the stored text per the policy's {@code audit.text}, or null for {@code none}
 * @param notes machine-readable remarks ({@code stream_not_checked}, {@code audit_events_dropped:N})
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties({"prev", "hash"})
@JsonPropertyOrder({
  "ts", "request_id", "tenant", "route", "policy", "policy_version", "direction", "verdict",
  "enforced", "categories", "findings", "errors", "upstream", "status", "latency_ms", "text", "notes"
})
public record AuditEvent(
    @JsonProperty("ts") @JsonSerialize(using = MillisInstantSerializer.class)
        @JsonDeserialize(using = InstantDeserializer.class)
        Instant ts,
    @JsonProperty("request_id") String requestId,
    @JsonProperty("tenant") String tenant,
    @JsonProperty("route") String route,
    @JsonProperty("policy") String policy,
    @JsonProperty("policy_version") String policyVersion,
    @JsonProperty("direction") Direction direction,
    @JsonProperty("verdict") Action verdict,
    @JsonProperty("enforced") boolean enforced,
    @JsonProperty("categories") List<String> categories,
    @JsonProperty("findings") List<AuditFinding> findings,
    @JsonProperty("errors") @JsonInclude(JsonInclude.Include.NON_EMPTY) List<GuardError> errors,
    @JsonProperty("upstream") String upstream,
    @JsonProperty("status") int status,
    @JsonProperty("latency_ms") Latency latency,
    @JsonProperty("text") String text,
    @JsonProperty("notes") @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> notes) {

  /** Validates required fields and copies lists (a null list becomes empty). */
  public AuditEvent {
    ts = Objects.requireNonNull(ts, "ts").truncatedTo(ChronoUnit.MILLIS);
    Objects.requireNonNull(requestId, "request_id");
    Objects.requireNonNull(route, "route");
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(policyVersion, "policy_version");
    Objects.requireNonNull(direction, "direction");
    Objects.requireNonNull(verdict, "verdict");
    Objects.requireNonNull(latency, "latency_ms");
    categories = categories == null ? List.of() : List.copyOf(categories);
    for (String c : categories) {
      if (!Categories.ALL.contains(c)) {
        throw new IllegalArgumentException("categories: unknown category '" + c + "' (valid: " + Categories.ALL + ")");
      }
    }
    findings = findings == null ? List.of() : List.copyOf(findings);
    errors = errors == null ? List.of() : List.copyOf(errors);
    notes = notes == null ? List.of() : List.copyOf(notes);
    if (status < 0 || status > 999) {
      throw new IllegalArgumentException("status must be 0 or an HTTP status, was " + status);
    }
  }

  /** A new builder; every list starts empty, {@code enforced} starts true. */
  public static Builder builder() {
    return new Builder();
  }

  /** This event with {@code note} appended to {@link #notes()}. */
  public AuditEvent withNote(String note) {
    Objects.requireNonNull(note, "note");
    List<String> more = new ArrayList<>(notes.size() + 1);
    more.addAll(notes);
    more.add(note);
    return new AuditEvent(ts, requestId, tenant, route, policy, policyVersion, direction, verdict,
        enforced, categories, findings, errors, upstream, status, latency, text, more);
  }

  /**
   * One finding as audited: the guard's finding plus the action the policy took for it.
   *
   * @param detector the guard that found it ({@code pii}, {@code prompt-attack})
   * @param category one of the SPEC section 6 categories
   * @param label finer label ({@code EMAIL}), or null (omitted)
   * @param score confidence in [0, 1]
   * @param start start offset (UTF-16 units, inclusive) into the stored text
   * @param end end offset (exclusive) into the stored text
   * @param action what the policy did with it
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonPropertyOrder({"detector", "category", "label", "score", "start", "end", "action"})
  public record AuditFinding(
      @JsonProperty("detector") String detector,
      @JsonProperty("category") String category,
      @JsonProperty("label") String label,
      @JsonProperty("score") double score,
      @JsonProperty("start") int start,
      @JsonProperty("end") int end,
      @JsonProperty("action") Action action) {

    /** Rejects values a {@link Finding} could not have had, naming the field. */
    public AuditFinding {
      Objects.requireNonNull(detector, "detector");
      Objects.requireNonNull(action, "action");
      if (!Categories.ALL.contains(category)) {
        throw new IllegalArgumentException("unknown category '" + category + "' (valid: " + Categories.ALL + ")");
      }
      if (!(score >= 0.0 && score <= 1.0)) {
        throw new IllegalArgumentException("score must be in [0,1], was " + score);
      }
      if (start < 0 || end < start) {
        throw new IllegalArgumentException("bad span [" + start + "," + end + ")");
      }
    }

    /**
     * The audited form of a guard's finding. The caller maps offsets first when the stored text is
     * not the scanned text (e.g. after redaction), because offsets must index what is stored.
     */
    public static AuditFinding of(Finding finding, Action action) {
      return new AuditFinding(finding.guard(), finding.category(), finding.label(), finding.score(),
          finding.start(), finding.end(), action);
    }
  }

  /**
   * A guard that failed or timed out on this event's text.
   *
   * @param guard the guard's name
   * @param message why (exception message or {@code timeout after 100 ms})
   */
  @JsonPropertyOrder({"guard", "message"})
  public record GuardError(@JsonProperty("guard") String guard, @JsonProperty("message") String message) {
    /** Both fields are required: an anonymous failure cannot be investigated. */
    public GuardError {
      Objects.requireNonNull(guard, "guard");
      Objects.requireNonNull(message, "message");
    }
  }

  /**
   * Milliseconds spent, as fractional values.
   *
   * @param guards in guards for this direction
   * @param upstream waiting for the upstream (0 when it was not called)
   * @param total from request arrival to the decision (or to the end of the response)
   */
  @JsonPropertyOrder({"guards", "upstream", "total"})
  public record Latency(
      @JsonProperty("guards") double guards,
      @JsonProperty("upstream") double upstream,
      @JsonProperty("total") double total) {
    /** Rejects negative and non-finite values, which JSON could not carry faithfully. */
    public Latency {
      check("guards", guards);
      check("upstream", upstream);
      check("total", total);
    }

    private static void check(String name, double v) {
      if (!(v >= 0.0) || Double.isInfinite(v)) {
        throw new IllegalArgumentException("latency_ms." + name + " must be finite and >= 0, was " + v);
      }
    }
  }

  /**
   * Fluent builder for {@link AuditEvent}; not thread-safe. {@link #build()} applies the record's
   * checks.
   */
  public static final class Builder {
    private Instant ts;
    private String requestId;
    private String tenant;
    private String route;
    private String policy;
    private String policyVersion;
    private Direction direction;
    private Action verdict;
    private boolean enforced = true;
    private final List<String> categories = new ArrayList<>();
    private final List<AuditFinding> findings = new ArrayList<>();
    private final List<GuardError> errors = new ArrayList<>();
    private String upstream;
    private int status;
    private Latency latency;
    private String text;
    private final List<String> notes = new ArrayList<>();

    private Builder() {}

    public Builder ts(Instant v) { ts = v; return this; }
    public Builder requestId(String v) { requestId = v; return this; }
    public Builder tenant(String v) { tenant = v; return this; }
    public Builder route(String v) { route = v; return this; }
    public Builder policy(String v) { policy = v; return this; }
    public Builder policyVersion(String v) { policyVersion = v; return this; }
    public Builder direction(Direction v) { direction = v; return this; }
    public Builder verdict(Action v) { verdict = v; return this; }
    public Builder enforced(boolean v) { enforced = v; return this; }
    public Builder categories(List<String> v) { categories.clear(); categories.addAll(v); return this; }
    public Builder category(String v) { categories.add(v); return this; }
    public Builder findings(List<AuditFinding> v) { findings.clear(); findings.addAll(v); return this; }
    public Builder finding(AuditFinding v) { findings.add(v); return this; }
    public Builder errors(List<GuardError> v) { errors.clear(); errors.addAll(v); return this; }
    public Builder error(String guard, String message) { errors.add(new GuardError(guard, message)); return this; }
    public Builder upstream(String v) { upstream = v; return this; }
    public Builder status(int v) { status = v; return this; }
    public Builder latency(double guardsMs, double upstreamMs, double totalMs) {
      latency = new Latency(guardsMs, upstreamMs, totalMs);
      return this;
    }
    public Builder text(String v) { text = v; return this; }
    public Builder notes(List<String> v) { notes.clear(); notes.addAll(v); return this; }
    public Builder note(String v) { notes.add(v); return this; }

    /**
     * The event.
     *
     * @throws NullPointerException naming a missing required field
     * @throws IllegalArgumentException naming an invalid field
     */
    public AuditEvent build() {
      return new AuditEvent(ts, requestId, tenant, route, policy, policyVersion, direction, verdict,
          enforced, categories, findings, errors, upstream, status, latency, text, notes);
    }
  }

  /** Writes {@code ts} always with exactly three fraction digits, so lines have one shape. */
  static final class MillisInstantSerializer extends JsonSerializer<Instant> {
    private static final DateTimeFormatter FORMAT =
        DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    @Override
    public void serialize(Instant value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
      gen.writeString(FORMAT.format(value));
    }
  }

  /** Reads any ISO-8601 instant; jackson-datatype-jsr310 is not a dependency. */
  static final class InstantDeserializer extends JsonDeserializer<Instant> {
    @Override
    public Instant deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      String s = p.getValueAsString();
      try {
        return Instant.parse(s);
      } catch (DateTimeParseException e) {
        return (Instant) ctxt.handleWeirdStringValue(Instant.class, s, "not an ISO-8601 instant");
      }
    }
  }
}

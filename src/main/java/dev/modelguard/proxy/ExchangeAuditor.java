package dev.modelguard.proxy;

import dev.modelguard.audit.AuditEvent;
import dev.modelguard.audit.AuditEvent.AuditFinding;
import dev.modelguard.audit.AuditSink;
import dev.modelguard.guard.Direction;
import dev.modelguard.guard.Finding;
import dev.modelguard.guard.Segment;
import dev.modelguard.policy.Action;
import dev.modelguard.policy.AuditText;
import dev.modelguard.policy.ScanResult;
import dev.modelguard.policy.ScanResult.AppliedFinding;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Turns a finished {@link Exchange} into audit events (one per direction that was decided) and
 * hands them to the sink.
 *
 * <p>The stored text follows the policy's {@code audit.text}: {@code none} stores nothing,
 * {@code redacted} (the default) replaces every finding, whatever its action, by its placeholder so
 * no raw secret or PII is ever written, {@code full} stores the text as scanned. Segments are joined
 * with a blank line, and finding offsets point into the stored text. Runs on the event loop: only
 * in-memory work here, the sink writes on its own thread.
 */
public final class ExchangeAuditor implements Consumer<Exchange> {
  static final String SEGMENT_SEPARATOR = "\n\n";

  private final AuditSink sink;

  public ExchangeAuditor(AuditSink sink) {
    this.sink = sink;
  }

  @Override
  public void accept(Exchange ex) {
    double total = ex.totalMillis();
    if (ex.prompt() == null && ex.response() == null) {
      sink.record(base(ex, Direction.PROMPT, total).build());
      return;
    }
    if (ex.prompt() != null) {
      sink.record(event(ex, ex.prompt(), total, ex.response() == null));
    }
    if (ex.response() != null) {
      sink.record(event(ex, ex.response(), total, true));
    }
  }

  private AuditEvent.Builder base(Exchange ex, Direction direction, double total) {
    String policy = ex.policy() != null ? ex.policy().name() : ex.route() != null ? ex.route().policy() : "-";
    AuditEvent.Builder b = AuditEvent.builder()
        .ts(Instant.now())
        .requestId(ex.requestId())
        .tenant(ex.tenant())
        .route(ex.route() != null ? ex.route().path() : ex.path())
        .policy(policy)
        .policyVersion(ex.policy() != null ? ex.policy().version() : "-")
        .direction(direction)
        .verdict(Action.ALLOW)
        .upstream(ex.route() != null ? ex.route().upstream() : null)
        .status(ex.status())
        .latency(0, round(ex.upstreamMillis()), round(total));
    ex.notes().forEach(b::note);
    return b;
  }

  private AuditEvent event(Exchange ex, ScanResult r, double total, boolean withNotes) {
    AuditEvent.Builder b = AuditEvent.builder()
        .ts(Instant.now())
        .requestId(ex.requestId())
        .tenant(ex.tenant())
        .route(ex.route() != null ? ex.route().path() : ex.path())
        .policy(r.policy().name())
        .policyVersion(r.policy().version())
        .direction(r.direction())
        .verdict(r.verdict())
        .enforced(r.enforced())
        .upstream(ex.route() != null ? ex.route().upstream() : null)
        .status(ex.status())
        .latency(round(r.guardsMillis()), round(ex.upstreamMillis()), round(total));
    r.categories().forEach(b::category);
    b.note("segments_scanned:" + r.scannedSegments());
    b.note("segments_cached:" + r.cachedSegments());
    r.notes().forEach(b::note);
    r.errors().forEach(e -> b.note("degraded:" + e.guard()));
    r.findings().stream().filter(AppliedFinding::monitored)
        .forEach(a -> b.note("monitor_only:" + a.finding().guard() + ":" + a.action().wireName()));
    r.errors().forEach(e -> b.error(e.guard(), "segment " + e.segment() + ": " + e.message()));
    if (withNotes) {
      ex.notes().forEach(b::note);
    }
    AuditText mode = r.policy().auditText();
    StringBuilder stored = new StringBuilder();
    List<AppliedFinding> findings = r.findings();
    for (int i = 0; i < r.segments().size(); i++) {
      if (i > 0) {
        stored.append(SEGMENT_SEPARATOR);
      }
      Segment s = r.segments().get(i);
      int base = stored.length();
      List<AppliedFinding> mine = new ArrayList<>();
      for (AppliedFinding a : findings) {
        if (a.segment() == i) {
          mine.add(a);
        }
      }
      if (mode == AuditText.FULL) {
        stored.append(s.text());
        mine.forEach(a -> b.finding(shifted(a, base, a.finding().start(), a.finding().end())));
      } else {
        List<Finding> raw = mine.stream().map(AppliedFinding::finding).toList();
        var redacted = ex.redactor().redact(s.text(), raw);
        stored.append(redacted.text());
        for (int k = 0; k < mine.size(); k++) {
          int[] span = redacted.spans().get(k);
          b.finding(shifted(mine.get(k), base, span[0], span[1]));
        }
      }
    }
    if (mode != AuditText.NONE) {
      b.text(stored.toString());
    }
    return b.build();
  }

  private static double round(double millis) {
    return Math.round(millis * 1000) / 1000.0;
  }

  private static AuditFinding shifted(AppliedFinding a, int base, int start, int end) {
    Finding f = a.finding();
    return new AuditFinding(f.guard(), f.category(), f.label(), f.score(), base + start, base + end, a.action());
  }
}

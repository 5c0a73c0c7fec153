package dev.modelguard.proxy;

import dev.modelguard.api.sse.SseEvent;
import dev.modelguard.api.sse.StreamChunk;
import dev.modelguard.api.sse.StreamPiece;
import dev.modelguard.guard.Direction;
import dev.modelguard.guard.Finding;
import dev.modelguard.guard.Segment;
import dev.modelguard.policy.Action;
import dev.modelguard.policy.OnError;
import dev.modelguard.policy.Policy;
import dev.modelguard.policy.PolicyEngine;
import dev.modelguard.policy.Redactor;
import dev.modelguard.policy.ScanResult;
import dev.modelguard.policy.ScanResult.AppliedFinding;
import dev.modelguard.policy.ScanResult.GuardError;
import dev.modelguard.policy.Streaming;
import io.vertx.core.Future;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Guards one streamed response: holds back the last {@code hold_back_chars} of every text channel,
 * releases events only once their text has been scanned with that much following context, rewrites
 * redacted text before release, and stops at the first block.
 *
 * <p>Window guards (rules) run on each new window of a channel, from {@code hold_back_chars} before
 * the released point to the end; whole-text guards (models) run on the whole channel every
 * {@code check_every_chars} new characters and at the end. Events keep their order; an event is
 * released when all its pieces are. {@code buffer} mode releases nothing before the end;
 * {@code passthrough} releases everything at once and only records what it finds.
 *
 * <p>One instance per stream. Not thread-safe: the caller feeds it one step at a time (pausing the
 * upstream while a step's future is pending) on the request's event-loop context.
 */
public final class StreamScanner {
  /** What to do after a step: events to send now, or the block that ends the stream. */
  public record Step(List<SseEvent> release, ScanResult blocked) {}

  private static final class Channel {
    final int index;
    final String name;
    final StringBuilder text = new StringBuilder();
    int released;
    int scannedTo;
    int wholeCheckedAt;
    /** Redaction spans in channel offsets, sorted, not overlapping. */
    final List<Finding> redactions = new ArrayList<>();
    /**
     * Findings of the last scan that reach into the held-back tail: they may still grow (a phone
     * number whose last digits have not arrived), so they are not recorded yet, only kept from
     * being released; the next scan sees them again with more context.
     */
    final List<Finding> pending = new ArrayList<>();

    Channel(int index, String name) {
      this.index = index;
      this.name = name;
    }
  }

  /** A held event and, per piece, its channel and [start, end) in that channel's text. */
  private record Held(StreamChunk chunk, Channel[] channels, int[] starts, int[] ends) {}

  private final Policy policy;
  private final PolicyEngine engine;
  private final Redactor redactor;
  private final Streaming settings;
  private final Map<String, Channel> channels = new LinkedHashMap<>();
  private final ArrayDeque<Held> queue = new ArrayDeque<>();
  private final List<AppliedFinding> findings = new ArrayList<>();
  private final Set<String> seenFindings = new HashSet<>();
  private final LinkedHashSet<String> categories = new LinkedHashSet<>();
  private final List<GuardError> errors = new ArrayList<>();
  private Action verdict = Action.ALLOW;
  private double guardsMillis;
  private long heldChars;

  public StreamScanner(Policy policy, PolicyEngine engine, Redactor redactor) {
    this.policy = policy;
    this.engine = engine;
    this.redactor = redactor;
    this.settings = policy.streaming();
  }

  /** Largest undecoded line the SSE decoder may hold for this stream. */
  public int maxPendingBytes() {
    return settings.maxHeldBytes();
  }

  /** Takes the next decoded events and answers what may be sent now. */
  public Future<Step> offer(List<StreamChunk> chunks) {
    for (StreamChunk chunk : chunks) {
      hold(chunk);
    }
    if (settings.mode() == Streaming.Mode.PASSTHROUGH) {
      List<SseEvent> out = releaseAll();
      return scan(false).map(blocked -> new Step(out, null));
    }
    if (heldChars > settings.maxHeldBytes()) {
      errors.add(new GuardError("stream", 0, "stream held more than streaming.max_held_bytes = "
          + settings.maxHeldBytes() + " characters"));
      if (policy.onError() == OnError.BLOCK) {
        verdict = Action.BLOCK;
        return Future.succeededFuture(new Step(List.of(), summary()));
      }
      return scan(false).map(blocked -> new Step(releaseAll(), null));
    }
    return scan(false).map(blocked -> blocked ? new Step(List.of(), summary()) : new Step(release(false), null));
  }

  /** The stream ended: scans what is left, runs the whole-text guards, releases the rest. */
  public Future<Step> finish() {
    if (settings.mode() == Streaming.Mode.PASSTHROUGH) {
      return scan(true).map(b -> new Step(releaseAll(), null));
    }
    return scan(true).map(blocked -> blocked ? new Step(List.of(), summary()) : new Step(release(true), null));
  }

  /** Everything decided about this stream so far, as one response-direction result for the audit. */
  public ScanResult summary() {
    List<Segment> segments = new ArrayList<>();
    for (Channel c : channels.values()) {
      segments.add(Segment.of(Direction.RESPONSE, "assistant", c.name, c.text.toString()));
    }
    return new ScanResult(policy, Direction.RESPONSE, segments, verdict, List.copyOf(categories),
        List.copyOf(findings), List.copyOf(errors), Map.of(), guardsMillis, segments.size(), 0, List.of());
  }

  private void hold(StreamChunk chunk) {
    List<StreamPiece> pieces = chunk.pieces();
    Channel[] chans = new Channel[pieces.size()];
    int[] starts = new int[pieces.size()];
    int[] ends = new int[pieces.size()];
    for (int i = 0; i < pieces.size(); i++) {
      StreamPiece p = pieces.get(i);
      Channel c = channels.computeIfAbsent(p.channel(), n -> new Channel(channels.size(), n));
      chans[i] = c;
      if (p.snapshot()) {
        // A snapshot repeats the channel's text; when it knows more (no deltas were seen), it extends it.
        if (p.text().length() > c.text.length() && p.text().startsWith(c.text.toString())) {
          c.text.append(p.text(), c.text.length(), p.text().length());
        }
        starts[i] = 0;
        ends[i] = p.text().length();
      } else {
        starts[i] = c.text.length();
        c.text.append(p.text());
        ends[i] = c.text.length();
      }
      heldChars += p.text().length();
    }
    queue.add(new Held(chunk, chans, starts, ends));
  }

  /** Runs the guards due; true when the stream must be blocked. */
  private Future<Boolean> scan(boolean finishing) {
    List<Segment> windows = new ArrayList<>();
    List<int[]> windowAt = new ArrayList<>();
    List<Segment> wholes = new ArrayList<>();
    List<Channel> wholeOf = new ArrayList<>();
    for (Channel c : channels.values()) {
      int len = c.text.length();
      if (len > c.scannedTo || (finishing && !c.pending.isEmpty())) {
        int from = Math.max(0, Math.min(c.released, c.scannedTo) - settings.holdBackChars());
        windows.add(Segment.of(Direction.RESPONSE, "assistant", c.name, c.text.substring(from)));
        windowAt.add(new int[] {c.index, from});
        c.scannedTo = len;
      }
      if (len > c.wholeCheckedAt && (finishing || len - c.wholeCheckedAt >= settings.checkEveryChars())) {
        wholes.add(Segment.of(Direction.RESPONSE, "assistant", c.name, c.text.toString()));
        wholeOf.add(c);
        c.wholeCheckedAt = len;
      }
    }
    List<Channel> byIndex = new ArrayList<>(channels.values());
    Future<ScanResult> w = windows.isEmpty() ? Future.succeededFuture(null)
        : engine.scan(policy, Direction.RESPONSE, windows, new Redactor(), r -> !r.guard().needsWholeText());
    Future<ScanResult> h = wholes.isEmpty() ? Future.succeededFuture(null)
        : engine.scan(policy, Direction.RESPONSE, wholes, new Redactor(), r -> r.guard().needsWholeText());
    return Future.all(w, h).map(ignored -> {
      boolean blocked = false;
      if (w.result() != null) {
        for (int[] at : windowAt) {
          byIndex.get(at[0]).pending.clear();
        }
        blocked |= absorb(w.result(), i -> byIndex.get(windowAt.get(i)[0]), i -> windowAt.get(i)[1], finishing);
      }
      if (h.result() != null) {
        blocked |= absorb(h.result(), wholeOf::get, i -> 0, true);
      }
      return blocked && policy.mode() == dev.modelguard.policy.Mode.ENFORCE
          && settings.mode() != Streaming.Mode.PASSTHROUGH;
    });
  }

  private boolean absorb(ScanResult r, java.util.function.IntFunction<Channel> channelOf,
      java.util.function.IntUnaryOperator offsetOf, boolean finalView) {
    guardsMillis += r.guardsMillis();
    for (GuardError e : r.errors()) {
      errors.add(new GuardError(e.guard(), channelOf.apply(e.segment()).index, e.message()));
    }
    if (r.verdict() == Action.BLOCK) {
      verdict = Action.BLOCK; // a blocking finding, or a guard that failed under its on_error: block
    }
    for (AppliedFinding a : r.findings()) {
      Channel c = channelOf.apply(a.segment());
      Finding f = a.finding().shifted(offsetOf.applyAsInt(a.segment()));
      if (!finalView && (a.action() != Action.BLOCK || a.monitored()) && f.end() > c.text.length() - settings.holdBackChars()) {
        c.pending.add(f);
        continue;
      }
      String key = c.index + "|" + f.guard() + "|" + f.label() + "|" + f.start() + "|" + f.end();
      if (!seenFindings.add(key)) {
        continue;
      }
      findings.add(new AppliedFinding(c.index, f, a.action(), a.monitored()));
      if (a.monitored()) {
        continue;
      }
      verdict = verdict.max(a.action());
      if (a.action() != Action.ALLOW) {
        categories.add(f.category());
      }
      if (a.action() == Action.REDACT) {
        addRedaction(c, f);
      }
    }
    return verdict == Action.BLOCK;
  }

  private static void addRedaction(Channel c, Finding f) {
    List<Finding> spans = c.redactions;
    for (int i = 0; i < spans.size(); i++) {
      Finding s = spans.get(i);
      if (f.start() < s.end() && s.start() < f.end()) {
        // Overlapping spans share one placeholder: the union, labelled by the one that starts first.
        Finding first = s.start() <= f.start() ? s : f;
        spans.set(i, new Finding(first.guard(), first.category(), first.label(), first.score(),
            Math.min(s.start(), f.start()), Math.max(s.end(), f.end())));
        return;
      }
    }
    spans.add(f);
    spans.sort((a, b) -> Integer.compare(a.start(), b.start()));
  }

  private List<SseEvent> release(boolean finishing) {
    Map<Channel, Integer> safe = new HashMap<>();
    for (Channel c : channels.values()) {
      int len = c.text.length();
      int s;
      if (finishing) {
        s = len;
      } else if (settings.mode() == Streaming.Mode.BUFFER) {
        s = c.released;
      } else {
        s = Math.max(c.released, len - settings.holdBackChars());
        for (Finding r : c.redactions) {
          if (r.start() < s && r.end() > s) {
            s = Math.max(c.released, r.start());
          }
        }
        for (Finding p : c.pending) {
          if (p.start() < s) {
            s = Math.max(c.released, p.start());
          }
        }
      }
      safe.put(c, s);
    }
    List<SseEvent> out = new ArrayList<>();
    while (!queue.isEmpty()) {
      Held h = queue.peek();
      boolean ready = true;
      for (int i = 0; i < h.channels.length && ready; i++) {
        ready = h.ends[i] <= safe.get(h.channels[i]);
      }
      if (!ready) {
        break;
      }
      queue.poll();
      out.add(emit(h));
    }
    return out;
  }

  private List<SseEvent> releaseAll() {
    List<SseEvent> out = new ArrayList<>();
    while (!queue.isEmpty()) {
      out.add(emit(queue.poll()));
    }
    return out;
  }

  private SseEvent emit(Held h) {
    Map<Integer, String> rewrites = new HashMap<>();
    for (int i = 0; i < h.channels.length; i++) {
      Channel c = h.channels[i];
      heldChars -= h.ends[i] - h.starts[i];
      c.released = Math.max(c.released, h.ends[i]);
      if (settings.mode() != Streaming.Mode.PASSTHROUGH && policy.mode() == dev.modelguard.policy.Mode.ENFORCE
          && touches(c, h.starts[i], h.ends[i])) {
        rewrites.put(i, redacted(c, h.starts[i], h.ends[i]));
      }
    }
    return h.chunk.rewrite(rewrites);
  }

  private static boolean touches(Channel c, int a, int b) {
    for (Finding r : c.redactions) {
      if (r.start() < b && r.end() > a) {
        return true;
      }
    }
    return false;
  }

  /** The channel's text in [a, b) with every redaction span starting there replaced by its placeholder and the rest of any span dropped. */
  private String redacted(Channel c, int a, int b) {
    StringBuilder out = new StringBuilder();
    int pos = a;
    for (Finding r : c.redactions) {
      if (r.end() <= pos || r.start() >= b) {
        continue;
      }
      if (r.start() >= pos) {
        out.append(c.text, pos, r.start());
        out.append(redactor.placeholder(r, c.text.substring(r.start(), Math.min(r.end(), c.text.length()))));
      }
      pos = Math.min(b, r.end());
    }
    if (pos < b) {
      out.append(c.text, pos, b);
    }
    return out.toString();
  }
}

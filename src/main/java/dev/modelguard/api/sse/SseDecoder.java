package dev.modelguard.api.sse;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Incremental decoder of a {@code text/event-stream} (WHATWG HTML, "server-sent events"): bytes
 * come in arbitrary pieces, events come out whole. Handles LF, CRLF and CR line ends, comment
 * lines ({@code :...}), multi-line {@code data:}, a UTF-8 character split across pieces, and a
 * final event without its blank line at {@link #finish()}.
 *
 * <p>One instance per stream; not thread-safe. The total of undecoded bytes is capped: past
 * {@code maxPendingBytes} {@link #feed} throws, so a stream that never ends an event cannot grow
 * memory without bound.
 */
public final class SseDecoder {
  private final int maxPendingBytes;
  private byte[] pending = new byte[0];
  private boolean lastWasCr;
  private String event;
  private String id;
  private StringBuilder data;

  public SseDecoder(int maxPendingBytes) {
    this.maxPendingBytes = maxPendingBytes;
  }

  /**
   * Decodes the next piece of the stream.
   *
   * @return the events completed by this piece, in order
   * @throws IllegalStateException when an unfinished line exceeds the byte cap
   */
  public List<SseEvent> feed(byte[] bytes) {
    List<SseEvent> out = new ArrayList<>();
    byte[] buf = concat(pending, bytes);
    int lineStart = 0;
    for (int i = 0; i < buf.length; i++) {
      byte c = buf[i];
      if (c == '\n' && lastWasCr && i == lineStart) {
        // The LF of a CRLF whose CR ended the previous line.
        lastWasCr = false;
        lineStart = i + 1;
        continue;
      }
      if (c == '\n' || c == '\r') {
        lastWasCr = c == '\r';
        line(new String(buf, lineStart, i - lineStart, StandardCharsets.UTF_8), out);
        lineStart = i + 1;
      } else {
        lastWasCr = false;
      }
    }
    pending = java.util.Arrays.copyOfRange(buf, lineStart, buf.length);
    if (pending.length > maxPendingBytes) {
      throw new IllegalStateException("an event stream line exceeds " + maxPendingBytes + " bytes");
    }
    return out;
  }

  /** Ends the stream: a last event not followed by a blank line is still delivered. */
  public List<SseEvent> finish() {
    List<SseEvent> out = new ArrayList<>();
    if (pending.length > 0) {
      line(new String(pending, StandardCharsets.UTF_8), out);
      pending = new byte[0];
    }
    dispatch(out);
    return out;
  }

  private void line(String line, List<SseEvent> out) {
    if (line.isEmpty()) {
      dispatch(out);
      return;
    }
    if (line.startsWith(":")) {
      return;
    }
    int colon = line.indexOf(':');
    String field = colon < 0 ? line : line.substring(0, colon);
    String value = colon < 0 ? "" : line.substring(colon + 1);
    if (value.startsWith(" ")) {
      value = value.substring(1);
    }
    switch (field) {
      case "data" -> {
        if (data == null) {
          data = new StringBuilder(value);
        } else {
          data.append('\n').append(value);
        }
      }
      case "event" -> event = value;
      case "id" -> id = value;
      default -> {
        // retry and unknown fields carry nothing the gateway needs.
      }
    }
  }

  private void dispatch(List<SseEvent> out) {
    if (data != null || event != null) {
      out.add(new SseEvent(event, data == null ? null : data.toString(), id));
    }
    event = null;
    data = null;
    id = null;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    if (a.length == 0) {
      return b;
    }
    byte[] c = new byte[a.length + b.length];
    System.arraycopy(a, 0, c, 0, a.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}

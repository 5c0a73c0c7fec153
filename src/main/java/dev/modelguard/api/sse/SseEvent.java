package dev.modelguard.api.sse;

/**
 * One server-sent event as decoded from an upstream stream.
 *
 * @param event the {@code event:} field, or null when absent (the default "message" type)
 * @param data the {@code data:} lines joined with {@code \n}, or null when the event had none
 * @param id the {@code id:} field, or null
 */
public record SseEvent(String event, String data, String id) {

  /** The wire form: fields in order, LF line ends, one blank line after. */
  public String encode() {
    StringBuilder b = new StringBuilder();
    if (event != null) {
      b.append("event: ").append(event).append('\n');
    }
    if (id != null) {
      b.append("id: ").append(id).append('\n');
    }
    if (data != null) {
      for (String line : data.split("\n", -1)) {
        b.append("data: ").append(line).append('\n');
      }
    }
    return b.append('\n').toString();
  }
}

package dev.modelguard.api.sse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class SseDecoderTest {
  private static final String STREAM = ": keep-alive comment\r\n"
      + "event: content_block_delta\r\n"
      + "data: {\"text\":\"héllo 你好\"}\r\n"
      + "\r\n"
      + "data: line one\n"
      + "data: line two\n"
      + "\n"
      + "data:no-space\r\r"
      + "id: 7\n"
      + "data: [DONE]\n\n";

  private static final List<SseEvent> EXPECTED = List.of(
      new SseEvent("content_block_delta", "{\"text\":\"héllo 你好\"}", null),
      new SseEvent(null, "line one\nline two", null),
      new SseEvent(null, "no-space", null),
      new SseEvent(null, "[DONE]", "7"));

  /** The same stream cut into pieces of every size, so lines, CRLFs and UTF-8 characters are split. */
  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 5, 7, 64, 10_000})
  void decodesWhateverThePieceSize(int pieceSize) {
    byte[] bytes = STREAM.getBytes(StandardCharsets.UTF_8);
    SseDecoder decoder = new SseDecoder(1 << 20);
    List<SseEvent> events = new ArrayList<>();
    for (int i = 0; i < bytes.length; i += pieceSize) {
      events.addAll(decoder.feed(java.util.Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + pieceSize))));
    }
    events.addAll(decoder.finish());
    assertEquals(EXPECTED, events);
  }

  @Test
  void lastEventWithoutBlankLineIsDeliveredAtFinish() {
    SseDecoder decoder = new SseDecoder(1024);
    assertEquals(List.of(), decoder.feed("data: tail".getBytes(StandardCharsets.UTF_8)));
    assertEquals(List.of(new SseEvent(null, "tail", null)), decoder.finish());
  }

  @Test
  void unterminatedLineOverTheCapFails() {
    SseDecoder decoder = new SseDecoder(16);
    assertThrows(IllegalStateException.class, () -> decoder.feed(("data: " + "x".repeat(32)).getBytes()));
  }

  @Test
  void encodeRoundTrips() {
    for (SseEvent e : EXPECTED) {
      SseDecoder decoder = new SseDecoder(1024);
      assertEquals(List.of(e), decoder.feed(e.encode().getBytes(StandardCharsets.UTF_8)));
    }
  }
}

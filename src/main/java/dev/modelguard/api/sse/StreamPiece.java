package dev.modelguard.api.sse;

/**
 * A piece of model text inside one streamed event.
 *
 * @param channel which text it belongs to ({@code choice0}, {@code choice0.tool1}, {@code b2}...):
 *     pieces of one channel concatenate to one answer text
 * @param pointer JSON pointer of the string inside the event's data
 * @param text the string
 * @param snapshot false for a delta (appended to the channel); true for a copy of the channel's
 *     whole text so far (the Responses API's {@code .done} and {@code completed} events)
 */
public record StreamPiece(String channel, String pointer, String text, boolean snapshot) {}

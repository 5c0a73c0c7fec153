package dev.modelguard.guard;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Which way a text travels: {@code PROMPT} is read by the model, {@code RESPONSE} is written by it. */
public enum Direction {
  PROMPT,
  RESPONSE;

  @JsonValue
  public String wireName() {
    return WireNames.of(this);
  }

  /**
   * Parses {@code prompt} or {@code response}.
   *
   * @throws IllegalArgumentException naming the valid values when {@code value} is neither
   */
  @JsonCreator
  public static Direction parse(String value) {
    return WireNames.parse(Direction.class, value, "direction");
  }
}

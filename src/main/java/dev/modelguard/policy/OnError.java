package dev.modelguard.policy;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.modelguard.guard.WireNames;

/** What a guard failure (an exception, or running over {@code budget_ms}) means: fail closed or open. */
public enum OnError {
  BLOCK,
  ALLOW;

  @JsonValue
  public String wireName() {
    return WireNames.of(this);
  }

  @JsonCreator
  public static OnError parse(String value) {
    return WireNames.parse(OnError.class, value, "on_error");
  }
}

package dev.modelguard.policy;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** What a guard failure (an exception, or running over {@code budget_ms}) means: fail closed or open. */
public enum OnError {
  BLOCK,
  ALLOW;

  @JsonValue
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static OnError parse(String value) {
    for (OnError m : values()) {
      if (m.wireName().equals(value)) {
        return m;
      }
    }
    throw new IllegalArgumentException("unknown on_error '" + value + "' (valid: block, allow)");
  }
}

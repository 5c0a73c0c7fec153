package dev.modelguard.policy;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * What a policy does with a finding, and also the verdict of a whole scan: the verdict is the most
 * severe action taken. Declared from least to most severe.
 */
public enum Action {
  ALLOW,
  FLAG,
  REDACT,
  BLOCK;

  @JsonValue
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The more severe of the two. */
  public Action max(Action other) {
    return other.ordinal() > ordinal() ? other : this;
  }

  /** Parses {@code allow|flag|redact|block}, naming the valid values otherwise. */
  @JsonCreator
  public static Action parse(String value) {
    for (Action a : values()) {
      if (a.wireName().equals(value)) {
        return a;
      }
    }
    throw new IllegalArgumentException("unknown action '" + value + "' (valid: allow, flag, redact, block)");
  }
}

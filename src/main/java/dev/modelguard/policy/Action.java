package dev.modelguard.policy;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.modelguard.guard.WireNames;

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
    return WireNames.of(this);
  }

  /** The more severe of the two. */
  public Action max(Action other) {
    return other.ordinal() > ordinal() ? other : this;
  }

  /** Parses {@code allow|flag|redact|block}, naming the valid values otherwise. */
  @JsonCreator
  public static Action parse(String value) {
    return WireNames.parse(Action.class, value, "action");
  }
}

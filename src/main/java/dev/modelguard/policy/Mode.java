package dev.modelguard.policy;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** {@code enforce}: verdicts are applied. {@code monitor}: decided and audited, never blocked or redacted. */
public enum Mode {
  ENFORCE,
  MONITOR;

  @JsonValue
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static Mode parse(String value) {
    for (Mode m : values()) {
      if (m.wireName().equals(value)) {
        return m;
      }
    }
    throw new IllegalArgumentException("unknown mode '" + value + "' (valid: enforce, monitor)");
  }
}

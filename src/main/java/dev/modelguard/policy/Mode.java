package dev.modelguard.policy;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.modelguard.guard.WireNames;

/** {@code enforce}: verdicts are applied. {@code monitor}: decided and audited, never blocked or redacted. */
public enum Mode {
  ENFORCE,
  MONITOR;

  @JsonValue
  public String wireName() {
    return WireNames.of(this);
  }

  @JsonCreator
  public static Mode parse(String value) {
    return WireNames.parse(Mode.class, value, "mode");
  }
}

package dev.modelguard.policy;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.modelguard.guard.WireNames;

/** How much of the scanned text an audit event keeps. The default, {@code redacted}, never stores a finding's raw text. */
public enum AuditText {
  NONE,
  REDACTED,
  FULL;

  @JsonValue
  public String wireName() {
    return WireNames.of(this);
  }

  @JsonCreator
  public static AuditText parse(String value) {
    return WireNames.parse(AuditText.class, value, "audit.text");
  }
}

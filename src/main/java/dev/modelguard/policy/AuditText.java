package dev.modelguard.policy;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** How much of the scanned text an audit event keeps. The default, {@code redacted}, never stores a finding's raw text. */
public enum AuditText {
  NONE,
  REDACTED,
  FULL;

  @JsonValue
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static AuditText parse(String value) {
    for (AuditText m : values()) {
      if (m.wireName().equals(value)) {
        return m;
      }
    }
    throw new IllegalArgumentException("unknown audit.text '" + value + "' (valid: none, redacted, full)");
  }
}

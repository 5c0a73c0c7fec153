package dev.modelguard.policy;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.modelguard.config.InvalidKeyException;
import dev.modelguard.guard.WireNames;

/**
 * How a policy guards streamed responses (the {@code streaming:} block of a policy file).
 *
 * @param mode {@code guarded} (default): text is released once scanned with {@code hold_back_chars}
 *     of following context; {@code buffer}: nothing is released before the whole answer is scanned;
 *     {@code passthrough}: relayed at once, scanned and audited, but a block cannot recall what was sent
 * @param holdBackChars characters held back per stream channel (default 128): longer than the
 *     longest rule match, so a secret split across chunks is never half released
 * @param checkEveryChars whole-text guards (models) run again after this many new characters
 *     (default 512) and at the end
 * @param maxHeldBytes cap on the text held back for one stream (default 1 MiB); past it the stream
 *     fails under {@code on_error}
 */
public record Streaming(Mode mode, int holdBackChars, int checkEveryChars, int maxHeldBytes) {
  public static final Streaming DEFAULT = new Streaming(Mode.GUARDED, 128, 512, 1 << 20);

  public Streaming {
    if (holdBackChars < 0) {
      throw new InvalidKeyException("streaming.hold_back_chars", "must be >= 0, was " + holdBackChars);
    }
    if (checkEveryChars <= 0) {
      throw new InvalidKeyException("streaming.check_every_chars", "must be > 0, was " + checkEveryChars);
    }
    if (maxHeldBytes <= 0) {
      throw new InvalidKeyException("streaming.max_held_bytes", "must be > 0, was " + maxHeldBytes);
    }
  }

  /** The stream modes. */
  public enum Mode {
    GUARDED,
    BUFFER,
    PASSTHROUGH;

    @JsonValue
    public String wireName() {
      return WireNames.of(this);
    }

    @JsonCreator
    public static Mode parse(String value) {
      return WireNames.parse(Mode.class, value, "streaming mode");
    }
  }

  /** The {@code streaming:} block as written: every key optional, so {@code extends} can override one at a time. */
  public record Settings(Mode mode, Integer holdBackChars, Integer checkEveryChars, Integer maxHeldBytes) {
    @JsonCreator
    static Settings fromYaml(@JsonProperty("mode") Mode mode, @JsonProperty("hold_back_chars") Integer holdBackChars,
        @JsonProperty("check_every_chars") Integer checkEveryChars,
        @JsonProperty("max_held_bytes") Integer maxHeldBytes) {
      return new Settings(mode, holdBackChars, checkEveryChars, maxHeldBytes);
    }

    /** These settings over {@code parent}'s (either may be null). */
    static Settings over(Settings child, Settings parent) {
      if (child == null) {
        return parent;
      }
      if (parent == null) {
        return child;
      }
      return new Settings(child.mode != null ? child.mode : parent.mode,
          child.holdBackChars != null ? child.holdBackChars : parent.holdBackChars,
          child.checkEveryChars != null ? child.checkEveryChars : parent.checkEveryChars,
          child.maxHeldBytes != null ? child.maxHeldBytes : parent.maxHeldBytes);
    }

    /** The settings with defaults filled in; invariants checked. */
    Streaming resolve() {
      return new Streaming(mode != null ? mode : DEFAULT.mode,
          holdBackChars != null ? holdBackChars : DEFAULT.holdBackChars,
          checkEveryChars != null ? checkEveryChars : DEFAULT.checkEveryChars,
          maxHeldBytes != null ? maxHeldBytes : DEFAULT.maxHeldBytes);
    }
  }
}

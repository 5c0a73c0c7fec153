package dev.modelguard.guard;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How the gateway's enums are spelled in YAML and JSON: the constant's name in lower case
 * ({@code BLOCK} is {@code block}). Parsing names the valid values when a word is unknown.
 */
public final class WireNames {
  private WireNames() {}

  /** The wire spelling of {@code constant}. */
  public static String of(Enum<?> constant) {
    return constant.name().toLowerCase(Locale.ROOT);
  }

  /**
   * The constant of {@code type} spelled {@code value}.
   *
   * @param what how the value is called in messages ({@code action}, {@code on_error}...)
   * @throws IllegalArgumentException {@code unknown action 'drop' (valid: allow, flag, redact, block)}
   */
  public static <E extends Enum<E>> E parse(Class<E> type, String value, String what) {
    for (E e : type.getEnumConstants()) {
      if (of(e).equals(value)) {
        return e;
      }
    }
    throw new IllegalArgumentException("unknown " + what + " '" + value + "' (valid: "
        + Arrays.stream(type.getEnumConstants()).map(WireNames::of).collect(Collectors.joining(", ")) + ")");
  }
}

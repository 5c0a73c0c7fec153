package dev.modelguard.config;

import java.util.List;

/**
 * A configuration file (gateway config or policy) that cannot be used. Each entry of
 * {@link #errors()} is one self-contained line of the form {@code FILE:LINE:COL: json.path: message}
 * (or {@code FILE: message} when no position applies, such as an unreadable file); the exception
 * message is those lines joined with newlines.
 *
 * <p>Thrown only after the whole input was examined as far as was meaningful, so a caller that
 * prints {@link #errors()} shows the user everything it found, not just the first problem.
 */
public class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final List<String> errors;

  /** One error line. */
  public ConfigException(String error) {
    this(List.of(error));
  }

  /**
   * Several error lines, in the order they were found.
   *
   * @throws IllegalArgumentException when {@code errors} is empty: an exception must say what is wrong
   */
  public ConfigException(List<String> errors) {
    super(String.join("\n", errors));
    if (errors.isEmpty()) {
      throw new IllegalArgumentException("a ConfigException needs at least one error");
    }
    this.errors = List.copyOf(errors);
  }

  /** Every error, one {@code FILE:LINE:COL: message} line each; never empty. */
  public List<String> errors() {
    return errors;
  }
}

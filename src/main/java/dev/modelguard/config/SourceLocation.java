package dev.modelguard.config;

/**
 * A position in a configuration or policy file, as shown in error messages.
 *
 * @param file the file as the user named it (not necessarily absolute)
 * @param line 1-based line
 * @param column 1-based column
 */
public record SourceLocation(String file, int line, int column) {

  /** {@code FILE:LINE:COL}, the prefix of every error message about this position. */
  @Override
  public String toString() {
    return file + ":" + line + ":" + column;
  }
}

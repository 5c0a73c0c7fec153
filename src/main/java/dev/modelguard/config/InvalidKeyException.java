package dev.modelguard.config;

/**
 * An invariant violation that belongs to one key of a configuration record. Throw it from a
 * record's compact constructor (gateway config, policy, or a guard's config record) instead of a
 * plain {@link IllegalArgumentException} so the error is reported at that key's line and column
 * as {@code FILE:LINE:COL: parent.key: message}.
 *
 * <p>{@link #key()} is relative to the record that throws: a simple key ({@code url}) or a
 * relative path ({@code routes[2].upstream}, {@code words[0]}). A plain
 * {@code IllegalArgumentException} is also accepted by the loaders; it is reported at the record's
 * own position, or at a key when its message starts with {@code KEY: } naming one of the record's keys.
 */
public class InvalidKeyException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String key;
  private final String problem;

  /**
   * @param key the offending key, relative to the record throwing
   * @param problem what is wrong, without the key (e.g. {@code must be in [0,1]})
   */
  public InvalidKeyException(String key, String problem) {
    super(key + ": " + problem);
    this.key = key;
    this.problem = problem;
  }

  /** The offending key or relative path. */
  public String key() {
    return key;
  }

  /** What is wrong, without the key. */
  public String problem() {
    return problem;
  }
}

package dev.modelguard.policy;

import dev.modelguard.config.ConfigException;
import java.util.List;

/**
 * One or more policy files that cannot be used. {@link #errors()} lists every problem found, each
 * as {@code FILE:LINE:COL: message}, not just the first; a hot reload that gets this exception
 * keeps the policies it had.
 */
public class PolicyException extends ConfigException {
  private static final long serialVersionUID = 1L;

  /**
   * @param errors the error lines, in the order found
   * @throws IllegalArgumentException when {@code errors} is empty
   */
  public PolicyException(List<String> errors) {
    super(errors);
  }
}

package dev.modelguard.guard.model;

/**
 * A model, tokenizer, head or manifest could not be loaded. The message always names the file (or
 * classpath resource) at fault, so a broken guard folder is diagnosed at startup, not at the first
 * request.
 */
public final class ModelLoadException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** A failure with a message that names the file. */
  public ModelLoadException(String message, Throwable cause) {
    super(message, cause);
  }

  /** A failure with a message that names the file. */
  public ModelLoadException(String message) {
    super(message);
  }
}

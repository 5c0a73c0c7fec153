package dev.modelguard.guard.model;

/**
 * A {@link MicroBatcher} refused a request because its queue was full (or it was closed). The
 * gateway is overloaded: the guard fails and the policy's {@code on_error} decides, rather than
 * letting latency grow without bound.
 */
public final class InferenceRejectedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** A rejection whose message names the batcher and the reason. */
  public InferenceRejectedException(String message) {
    super(message);
  }
}

package dev.modelguard.proxy;

/**
 * The one exception type for the gateway's own answers: it carries the HTTP status and the
 * OpenAI-style error {@code type} and {@code code} the client receives. Thrown anywhere while a
 * request is handled; the server turns it into the error body of SPEC section 4 exactly once.
 */
public final class GatewayException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Error type for a request the client got wrong. */
  public static final String INVALID_REQUEST = "invalid_request_error";
  /** Error type for a request or response stopped by a policy. */
  public static final String GUARDRAIL = "guardrail_violation";
  /** Error type for an upstream that failed or did not answer. */
  public static final String UPSTREAM = "upstream_error";
  /** Error type for a failure inside the gateway. */
  public static final String INTERNAL = "internal_error";

  private final int status;
  private final String type;
  private final String code;

  public GatewayException(int status, String type, String code, String message) {
    super(message);
    this.status = status;
    this.type = type;
    this.code = code;
  }

  public GatewayException(int status, String type, String code, String message, Throwable cause) {
    super(message, cause);
    this.status = status;
    this.type = type;
    this.code = code;
  }

  /** A 4xx for a malformed or unsupported client request. */
  public static GatewayException badRequest(int status, String code, String message) {
    return new GatewayException(status, INVALID_REQUEST, code, message);
  }

  public int status() {
    return status;
  }

  public String type() {
    return type;
  }

  public String code() {
    return code;
  }
}

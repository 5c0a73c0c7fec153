package dev.modelguard.proxy;

import java.util.Objects;

/**
 * A compiled route: requests whose path starts with {@code path} go to {@code upstream} under
 * policy {@code policy}.
 */
public record Route(String path, Upstream upstream, String policy) {
  public Route {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(upstream, "upstream");
    Objects.requireNonNull(policy, "policy");
  }

  /** True when {@code requestPath} is this route's path or below it (segment-wise, so /v1 does not match /v10). */
  public boolean matches(String requestPath) {
    if (path.equals("/")) {
      return true;
    }
    String p = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    return requestPath.equals(p) || requestPath.startsWith(p + "/");
  }
}

package dev.modelguard.proxy;

import java.net.URI;
import java.util.Map;
import java.util.Objects;

/**
 * A compiled upstream: where to send a route's traffic and with which credentials.
 *
 * @param name the name in {@code gateway.yaml}
 * @param url base URL; the full request path is appended to its path (so
 *     {@code https://host/compatible-mode} + {@code /v1/chat/completions})
 * @param headers headers added to every upstream request (credentials live here, never from clients)
 * @param connectTimeoutMs TCP/TLS connect timeout
 * @param timeoutMs idle timeout while waiting for the upstream's bytes (a stream may run longer,
 *     as long as bytes keep coming)
 */
public record Upstream(String name, URI url, Map<String, String> headers, long connectTimeoutMs, long timeoutMs) {
  public Upstream {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(url, "url");
    headers = Map.copyOf(headers);
  }

  /** True for https URLs. */
  public boolean tls() {
    return "https".equalsIgnoreCase(url.getScheme());
  }

  /** The port, with the scheme's default when the URL has none. */
  public int port() {
    return url.getPort() > 0 ? url.getPort() : tls() ? 443 : 80;
  }

  /** The upstream path for a client request path (and query). */
  public String pathFor(String requestUri) {
    String base = url.getRawPath() == null ? "" : url.getRawPath();
    if (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    return base + requestUri;
  }
}

package dev.modelguard.proxy;

import dev.modelguard.config.GatewayConfig.TenantKey;
import dev.modelguard.config.GatewayConfig.Tenants;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import java.util.Optional;

/**
 * Who is calling: the gateway key a client presents ({@code Authorization: Bearer KEY} or
 * {@code x-api-key: KEY}), looked up by SHA-256 in {@code tenants.keys} (constant-time compare of
 * digests). The key itself is never logged, stored or forwarded. Stateless and thread-safe.
 *
 * <p>Policy precedence: a key's {@code policy} overrides its route's, which overrides
 * {@code default_policy}.
 */
public final class Tenancy {
  private final Tenants tenants;

  /** @param tenants the configured tenants, or null when the gateway has none */
  public Tenancy(Tenants tenants) {
    this.tenants = tenants;
  }

  /**
   * The caller's key entry; empty for an anonymous caller (no tenants configured, or no or an
   * unknown key while keys are not required).
   *
   * @throws GatewayException 401 when {@code require_key} is set and the key is missing or unknown
   */
  public Optional<TenantKey> resolve(HttpServerRequest request) {
    if (tenants == null) {
      return Optional.empty();
    }
    String presented = presentedKey(request);
    Optional<TenantKey> key = presented == null ? Optional.empty() : tenants.find(presented);
    if (key.isEmpty() && tenants.requireKey()) {
      throw new GatewayException(401, GatewayException.INVALID_REQUEST, "invalid_api_key", presented == null
          ? "a gateway key is required: send it as 'Authorization: Bearer KEY' or 'x-api-key: KEY'"
          : "the gateway key is not known");
    }
    return key;
  }

  /** The policy for a request on a route: the key's, else the route's. */
  public static String policyFor(Optional<TenantKey> key, String routePolicy) {
    return key.map(TenantKey::policy).filter(p -> p != null).orElse(routePolicy);
  }

  private static String presentedKey(HttpServerRequest request) {
    String auth = request.getHeader(HttpHeaders.AUTHORIZATION);
    if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7) && auth.length() > 7) {
      return auth.substring(7).trim();
    }
    String apiKey = request.getHeader("x-api-key");
    return apiKey == null || apiKey.isBlank() ? null : apiKey.trim();
  }
}

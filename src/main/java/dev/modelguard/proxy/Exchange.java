package dev.modelguard.proxy;

import dev.modelguard.config.GatewayConfig.Route;
import dev.modelguard.policy.Policy;
import dev.modelguard.policy.Redactor;
import dev.modelguard.policy.ScanResult;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The state of one client request as it moves through the gateway: what was decided in each
 * direction, what the upstream answered, how long each part took. Created per request and touched
 * only by that request's event-loop context, so not thread-safe. Audited once, when it ends.
 */
public final class Exchange {
  private final String requestId = UUID.randomUUID().toString();
  private final String path;
  private final long startedNanos = System.nanoTime();
  private final Redactor redactor = new Redactor();
  private final List<String> notes = new ArrayList<>();
  private Route route;
  private dev.modelguard.config.GatewayConfig config;
  private dev.modelguard.api.WireFormat format;
  private Policy policy;
  private String tenant;
  private dev.modelguard.config.GatewayConfig.TenantKey key;
  private ScanResult prompt;
  private ScanResult response;
  private int status;
  private double upstreamMillis;
  private boolean finished;

  /** @param path the request path as the client sent it */
  public Exchange(String path) {
    this.path = path;
  }

  public String path() {
    return path;
  }

  public String requestId() {
    return requestId;
  }

  public Redactor redactor() {
    return redactor;
  }

  /** The configuration snapshot this request runs under (routes and upstreams of one version). */
  public dev.modelguard.config.GatewayConfig config() {
    return config;
  }

  public void config(dev.modelguard.config.GatewayConfig config) {
    this.config = config;
  }

  public Route route() {
    return route;
  }

  public void route(Route route) {
    this.route = route;
  }

  /** The API the client called, or null when the path was not understood. */
  public dev.modelguard.api.WireFormat format() {
    return format;
  }

  public void format(dev.modelguard.api.WireFormat format) {
    this.format = format;
  }

  public Policy policy() {
    return policy;
  }

  public void policy(Policy policy) {
    this.policy = policy;
  }

  public String tenant() {
    return tenant;
  }

  public void tenant(String tenant) {
    this.tenant = tenant;
  }

  /** The caller's gateway key entry, or null for an anonymous caller. */
  public dev.modelguard.config.GatewayConfig.TenantKey key() {
    return key;
  }

  public void key(dev.modelguard.config.GatewayConfig.TenantKey key) {
    this.key = key;
    this.tenant = key == null ? null : key.tenant();
  }

  public ScanResult prompt() {
    return prompt;
  }

  public void prompt(ScanResult prompt) {
    this.prompt = prompt;
  }

  public ScanResult response() {
    return response;
  }

  public void response(ScanResult response) {
    this.response = response;
  }

  public int status() {
    return status;
  }

  public void status(int status) {
    this.status = status;
  }

  public double upstreamMillis() {
    return upstreamMillis;
  }

  public void upstreamMillis(double upstreamMillis) {
    this.upstreamMillis = upstreamMillis;
  }

  /** Free-form markers for the audit event ({@code response_not_checked:stream}, ...). */
  public List<String> notes() {
    return notes;
  }

  public double totalMillis() {
    return (System.nanoTime() - startedNanos) / 1e6;
  }

  /** Marks the exchange finished; returns false if it already was, so it is audited exactly once. */
  public boolean finish() {
    if (finished) {
      return false;
    }
    finished = true;
    return true;
  }
}

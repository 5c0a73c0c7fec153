package dev.modelguard.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The gateway configuration, {@code gateway/gateway.yaml} (SPEC section 3), as validated records.
 *
 * <p>All records are immutable and validate their invariants on construction, whether built by
 * {@link GatewayConfigLoader} or directly (tests); a violated invariant is an
 * {@link InvalidKeyException} naming the key. Optional blocks are filled with their defaults, so
 * no accessor returns null except {@link #tenants()}.
 *
 * @param listen where the gateway listens
 * @param policies the directory whose {@code *.yaml} files are the policies
 * @param audit the audit sink
 * @param admin the admin API
 * @param upstreams upstream endpoints by name, in file order
 * @param routes request path prefixes and where they go; never empty
 * @param guardModels directories whose subdirectories are model guards
 * @param tenants gateway keys, tenants and their policies; null when the block is absent
 * @param defaultPolicy the policy used where none is named (check API, routes without {@code policy})
 * @param rateLimits where per-key rate-limit counters live; memory when absent
 */
public record GatewayConfig(
    Listen listen,
    Path policies,
    Audit audit,
    Admin admin,
    Map<String, Upstream> upstreams,
    List<Route> routes,
    List<Path> guardModels,
    Tenants tenants,
    String defaultPolicy,
    RateLimits rateLimits) {

  /** A configuration without rate limits. */
  public GatewayConfig(Listen listen, Path policies, Audit audit, Admin admin, Map<String, Upstream> upstreams,
      List<Route> routes, List<Path> guardModels, Tenants tenants, String defaultPolicy) {
    this(listen, policies, audit, admin, upstreams, routes, guardModels, tenants, defaultPolicy, null);
  }

  /** The policy name used when {@code default_policy} is absent. */
  public static final String DEFAULT_POLICY = "default";

  static final Pattern POLICY_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]*");

  public GatewayConfig {
    listen = listen == null ? Listen.fromYaml(null, null, null) : listen;
    audit = audit == null ? new Audit(Path.of("audit", "audit.jsonl")) : audit;
    admin = admin == null ? new Admin("") : admin;
    defaultPolicy = defaultPolicy == null ? DEFAULT_POLICY : defaultPolicy;
    checkPolicyName("default_policy", defaultPolicy);
    if (policies == null) {
      throw new InvalidKeyException("policies", "is required (the directory of policy files)");
    }
    Map<String, Upstream> ups = new LinkedHashMap<>();
    if (upstreams != null) {
      for (Map.Entry<String, Upstream> e : upstreams.entrySet()) {
        if (e.getValue() == null) {
          throw new InvalidKeyException("upstreams." + e.getKey(), "is empty (needs at least url)");
        }
        ups.put(e.getKey(), e.getValue());
      }
    }
    upstreams = Collections.unmodifiableMap(ups);
    if (routes == null || routes.isEmpty()) {
      throw new InvalidKeyException("routes", "at least one route is required");
    }
    List<Route> resolved = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < routes.size(); i++) {
      Route r = routes.get(i);
      if (r == null) {
        throw new InvalidKeyException("routes[" + i + "]", "is empty (needs path and upstream)");
      }
      if (!upstreams.containsKey(r.upstream())) {
        throw new InvalidKeyException("routes[" + i + "].upstream", "unknown upstream '" + r.upstream()
            + "' (valid: " + String.join(", ", upstreams.keySet().stream().sorted().toList()) + ")");
      }
      Integer before = seen.putIfAbsent(r.path(), i);
      if (before != null) {
        throw new InvalidKeyException("routes[" + i + "].path",
            "duplicate route path '" + r.path() + "' (also routes[" + before + "])");
      }
      resolved.add(r.policy() == null ? new Route(r.path(), r.upstream(), defaultPolicy, r.stripPrefix(), r.api()) : r);
    }
    routes = List.copyOf(resolved);
    guardModels = guardModels == null ? List.of() : List.copyOf(guardModels);
    rateLimits = rateLimits == null ? new RateLimits(RateLimits.Store.MEMORY, null) : rateLimits;
  }

  @JsonCreator
  static GatewayConfig fromYaml(
      @JsonProperty("listen") Listen listen,
      @JsonProperty("policies") String policies,
      @JsonProperty("audit") Audit audit,
      @JsonProperty("admin") Admin admin,
      @JsonProperty("upstreams") LinkedHashMap<String, Upstream> upstreams,
      @JsonProperty("routes") List<Route> routes,
      @JsonProperty("guard_models") List<String> guardModels,
      @JsonProperty("tenants") Tenants tenants,
      @JsonProperty("default_policy") String defaultPolicy,
      @JsonProperty("rate_limits") RateLimits rateLimits) {
    List<Path> models = null;
    if (guardModels != null) {
      models = new ArrayList<>();
      for (int i = 0; i < guardModels.size(); i++) {
        Path p = toPath("guard_models[" + i + "]", guardModels.get(i));
        if (p == null) {
          throw new InvalidKeyException("guard_models[" + i + "]", "is empty");
        }
        models.add(p);
      }
    }
    return new GatewayConfig(listen, toPath("policies", policies), audit, admin, upstreams, routes, models,
        tenants, defaultPolicy, rateLimits);
  }

  /**
   * The same configuration with every relative path ({@code policies}, {@code audit.path},
   * {@code guard_models}) resolved against {@code dir} and normalised.
   */
  public GatewayConfig resolveAgainst(Path dir) {
    List<Path> models = guardModels.stream().map(p -> dir.resolve(p).normalize()).toList();
    return new GatewayConfig(listen, dir.resolve(policies).normalize(), audit.withPath(dir.resolve(audit.path()).normalize()),
        admin, upstreams, routes, models, tenants, defaultPolicy, rateLimits);
  }

  /** The route whose path is the longest prefix (whole segments) of {@code requestPath}, if any. */
  public Optional<Route> route(String requestPath) {
    Route best = null;
    for (Route r : routes) {
      if (r.matches(requestPath) && (best == null || r.path().length() > best.path().length())) {
        best = r;
      }
    }
    return Optional.ofNullable(best);
  }

  static Path toPath(String key, String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    try {
      return Path.of(value);
    } catch (InvalidPathException e) {
      throw new InvalidKeyException(key, "not a valid path: '" + value + "'");
    }
  }

  static void checkPolicyName(String key, String name) {
    if (name != null && !POLICY_NAME.matcher(name).matches()) {
      throw new InvalidKeyException(key, "not a policy name: '" + name + "' (lowercase letters, digits, _ and -)");
    }
  }

  /**
   * The listening socket.
   *
   * @param host interface to bind (default {@code 127.0.0.1}: not reachable from other machines)
   * @param port TCP port in [0, 65535] (default 8080; 0 picks a free port, for tests)
   * @param maxBodyBytes largest request body accepted, on the running total (default 4 MiB)
   */
  public record Listen(String host, int port, long maxBodyBytes) {
    /** Default for {@code max_body_bytes}: 4 MiB. */
    public static final long DEFAULT_MAX_BODY_BYTES = 4L * 1024 * 1024;

    public Listen {
      if (host == null || host.isBlank()) {
        throw new InvalidKeyException("host", "is empty");
      }
      if (port < 0 || port > 65535) {
        throw new InvalidKeyException("port", "out of range: " + port + " (valid: 0-65535)");
      }
      if (maxBodyBytes <= 0) {
        throw new InvalidKeyException("max_body_bytes", "must be > 0, was " + maxBodyBytes);
      }
    }

    @JsonCreator
    static Listen fromYaml(@JsonProperty("host") String host, @JsonProperty("port") Integer port,
        @JsonProperty("max_body_bytes") Long maxBodyBytes) {
      return new Listen(host == null ? "127.0.0.1" : host, port == null ? 8080 : port,
          maxBodyBytes == null ? DEFAULT_MAX_BODY_BYTES : maxBodyBytes);
    }
  }

  /**
   * The audit sink.
   *
   * @param path the active JSONL file events are appended to (default {@code audit/audit.jsonl} next
   *     to the config); rotated files are written beside it
   * @param maxFileBytes the active file is rotated before a line would take it past this size
   *     (default 100 MiB, at least 4 KiB); it is also rotated when the UTC day changes
   * @param retentionDays rotated files older than this many days are deleted (default 30; 0 keeps
   *     them forever)
   * @param fsyncIntervalMs the longest time a written event may stay out of stable storage
   *     (default 100; 0 forces after every batch)
   * @param postgres the PostgreSQL copy of the log for several instances, or null for none
   */
  public record Audit(Path path, long maxFileBytes, int retentionDays, long fsyncIntervalMs, Postgres postgres) {
    /** Default for {@code max_file_bytes}: 100 MiB. */
    public static final long DEFAULT_MAX_FILE_BYTES = 100L * 1024 * 1024;
    /** Default for {@code retention_days}. */
    public static final int DEFAULT_RETENTION_DAYS = 30;
    /** Default for {@code fsync_interval_ms}. */
    public static final long DEFAULT_FSYNC_INTERVAL_MS = 100;
    /** Smallest {@code max_file_bytes}: below it nearly every event would get a file of its own. */
    public static final long MIN_MAX_FILE_BYTES = 4096;

    public Audit {
      if (path == null) {
        throw new InvalidKeyException("path", "is required (the JSONL audit file)");
      }
      if (maxFileBytes < MIN_MAX_FILE_BYTES) {
        throw new InvalidKeyException("max_file_bytes", "must be >= " + MIN_MAX_FILE_BYTES + ", was " + maxFileBytes);
      }
      if (retentionDays < 0) {
        throw new InvalidKeyException("retention_days", "must be >= 0 (0 keeps rotated files forever), was "
            + retentionDays);
      }
      if (fsyncIntervalMs < 0 || fsyncIntervalMs > 60_000) {
        throw new InvalidKeyException("fsync_interval_ms", "must be in [0, 60000], was " + fsyncIntervalMs);
      }
    }

    /** {@code path} with every other setting at its default. */
    public Audit(Path path) {
      this(path, DEFAULT_MAX_FILE_BYTES, DEFAULT_RETENTION_DAYS, DEFAULT_FSYNC_INTERVAL_MS, null);
    }

    @JsonCreator
    static Audit fromYaml(@JsonProperty("path") String path, @JsonProperty("max_file_bytes") Long maxFileBytes,
        @JsonProperty("retention_days") Integer retentionDays, @JsonProperty("fsync_interval_ms") Long fsyncIntervalMs,
        @JsonProperty("postgres") Postgres postgres) {
      return new Audit(toPath("path", path), maxFileBytes == null ? DEFAULT_MAX_FILE_BYTES : maxFileBytes,
          retentionDays == null ? DEFAULT_RETENTION_DAYS : retentionDays,
          fsyncIntervalMs == null ? DEFAULT_FSYNC_INTERVAL_MS : fsyncIntervalMs, postgres);
    }

    /** The same settings with {@code path} replaced (used to resolve it against the config's folder). */
    public Audit withPath(Path newPath) {
      return new Audit(newPath, maxFileBytes, retentionDays, fsyncIntervalMs, postgres);
    }
  }

  /**
   * The PostgreSQL copy of the audit log. The JSONL file stays the durable local log; a background
   * replicator copies its lines into the table in batches and resumes after an outage, so events
   * written while the database is unreachable wait in the file and are replayed later.
   *
   * @param url {@code postgresql://user[:password]@host[:port]/database}
   * @param table the table (default {@code modelguard_audit}); {@code TABLE_cursor} is created beside it
   * @param instance this gateway's name in the table (default: the host name), so several
   *     gateways can share one table
   * @param batchSize lines per insert transaction (default 500, 1..10000)
   * @param retryIntervalMs wait between attempts while the database is unreachable (default 1000)
   */
  public record Postgres(String url, String table, String instance, int batchSize, long retryIntervalMs) {
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,40}");

    public Postgres {
      if (url == null || url.isBlank()) {
        throw new InvalidKeyException("url", "is required (postgresql://user@host:port/database)");
      }
      if (!(url.startsWith("postgresql://") || url.startsWith("postgres://"))) {
        throw new InvalidKeyException("url", "must start with postgresql://, was '" + redact(url) + "'");
      }
      table = table == null ? "modelguard_audit" : table;
      if (!IDENTIFIER.matcher(table).matches()) {
        throw new InvalidKeyException("table", "must be a lowercase SQL identifier ([a-z_][a-z0-9_]*), was '" + table + "'");
      }
      if (instance == null || instance.isBlank()) {
        throw new InvalidKeyException("instance", "is empty");
      }
      if (batchSize < 1 || batchSize > 10_000) {
        throw new InvalidKeyException("batch_size", "must be in [1, 10000], was " + batchSize);
      }
      if (retryIntervalMs < 10 || retryIntervalMs > 600_000) {
        throw new InvalidKeyException("retry_interval_ms", "must be in [10, 600000], was " + retryIntervalMs);
      }
    }

    @JsonCreator
    static Postgres fromYaml(@JsonProperty("url") String url, @JsonProperty("table") String table,
        @JsonProperty("instance") String instance, @JsonProperty("batch_size") Integer batchSize,
        @JsonProperty("retry_interval_ms") Long retryIntervalMs) {
      return new Postgres(url, table, instance == null ? defaultInstance() : instance,
          batchSize == null ? 500 : batchSize, retryIntervalMs == null ? 1000 : retryIntervalMs);
    }

    /** The host name, which tells instances apart in a shared table. */
    public static String defaultInstance() {
      try {
        return java.net.InetAddress.getLocalHost().getHostName();
      } catch (java.net.UnknownHostException e) {
        return "localhost";
      }
    }

    /** {@code url} with any password replaced by {@code ***}, for messages and logs. */
    public static String redact(String url) {
      return url.replaceAll("(//[^:/@]*):[^@/]*@", "$1:***@");
    }

    @Override
    public String toString() {
      return "Postgres[url=" + redact(url) + ", table=" + table + ", instance=" + instance + "]";
    }
  }

  /**
   * The admin API and console.
   *
   * @param token bearer token the admin API requires; empty (the default) disables the admin API
   */
  public record Admin(String token) {
    public Admin {
      token = token == null ? "" : token;
    }

    @JsonCreator
    static Admin fromYaml(@JsonProperty("token") String token) {
      return new Admin(token);
    }

    /** False when no token is set: the admin API and console are then not served at all. */
    public boolean enabled() {
      return !token.isEmpty();
    }
  }

  /**
   * One upstream LLM endpoint.
   *
   * <p>{@code url} is an absolute {@code http(s)} URL that may carry a base path: the request path
   * (after the route's {@code strip_prefix}, if any) is appended to it, so with
   * {@code https://dashscope.aliyuncs.com/compatible-mode} a request for
   * {@code /v1/chat/completions} goes to
   * {@code https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions}. A trailing
   * {@code /} is removed so the two never join as {@code //}.
   *
   * @param url absolute http(s) URL without query, fragment or user info; trailing slash removed
   * @param headers headers added to every upstream request (credentials), replacing the client's
   * @param connectTimeoutMs TCP connect timeout (default 5000)
   * @param timeoutMs read/idle timeout: the longest wait for the next bytes of the answer (default 120000)
   */
  public record Upstream(String url, Map<String, String> headers, long connectTimeoutMs, long timeoutMs) {
    public Upstream {
      if (url == null || url.isBlank()) {
        throw new InvalidKeyException("url", "is required");
      }
      URI uri;
      try {
        uri = new URI(url);
      } catch (URISyntaxException e) {
        throw new InvalidKeyException("url", "not an absolute http(s) URL: '" + url + "'");
      }
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
        throw new InvalidKeyException("url", "not an absolute http(s) URL: '" + url + "'");
      }
      if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
        throw new InvalidKeyException("url", "must not carry a query, fragment or user info: '" + url + "'");
      }
      while (url.endsWith("/")) {
        url = url.substring(0, url.length() - 1);
      }
      Map<String, String> h = new LinkedHashMap<>();
      if (headers != null) {
        headers.forEach((k, v) -> {
          if (k == null || k.isBlank() || !k.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
            throw new InvalidKeyException("headers", "not a valid header name: '" + k + "'");
          }
          h.put(k, v == null ? "" : v);
        });
      }
      headers = Collections.unmodifiableMap(h);
      if (connectTimeoutMs <= 0) {
        throw new InvalidKeyException("connect_timeout_ms", "must be > 0, was " + connectTimeoutMs);
      }
      if (timeoutMs <= 0) {
        throw new InvalidKeyException("timeout_ms", "must be > 0, was " + timeoutMs);
      }
    }

    @JsonCreator
    static Upstream fromYaml(@JsonProperty("url") String url, @JsonProperty("headers") Map<String, String> headers,
        @JsonProperty("connect_timeout_ms") Long connectTimeoutMs, @JsonProperty("timeout_ms") Long timeoutMs) {
      return new Upstream(url, headers, connectTimeoutMs == null ? 5000 : connectTimeoutMs,
          timeoutMs == null ? 120_000 : timeoutMs);
    }

    /** {@link #url()} parsed. */
    public URI uri() {
      return URI.create(url);
    }

    /** The absolute URL for an upstream request path ({@code /v1/chat/completions}): url + path. */
    public String target(String path) {
      return url + path;
    }
  }

  /**
   * A request path prefix and where requests under it go. Paths match whole segments: {@code /v1}
   * matches {@code /v1} and {@code /v1/chat/completions}, not {@code /v10}; the longest match wins.
   *
   * @param path the prefix, starting with {@code /}, trailing slash removed
   * @param upstream name of an entry of {@code upstreams}
   * @param policy the policy applied; {@code default_policy} when absent
   * @param stripPrefix a leading part of {@code path} removed before the request path is appended
   *     to the upstream url (so {@code /qwen/v1} with {@code strip_prefix: /qwen} sends
   *     {@code /v1/...}), or null to send the path unchanged
   */
  public record Route(String path, String upstream, String policy, String stripPrefix, JsonApi api) {
    /** A route for a known API (recognised by path): no JSON selectors. */
    public Route(String path, String upstream, String policy, String stripPrefix) {
      this(path, upstream, policy, stripPrefix, null);
    }

    public Route {
      path = normalizePrefix("path", path);
      if (path == null) {
        throw new InvalidKeyException("path", "is required (a path prefix such as /v1)");
      }
      if (upstream == null || upstream.isBlank()) {
        throw new InvalidKeyException("upstream", "is required (the name of an upstream)");
      }
      checkPolicyName("policy", policy);
      stripPrefix = normalizePrefix("strip_prefix", stripPrefix);
      if (stripPrefix != null && !covers(stripPrefix, path)) {
        throw new InvalidKeyException("strip_prefix", "'" + stripPrefix + "' is not a prefix of path '" + path + "'");
      }
    }

    @JsonCreator
    static Route fromYaml(@JsonProperty("path") String path, @JsonProperty("upstream") String upstream,
        @JsonProperty("policy") String policy, @JsonProperty("strip_prefix") String stripPrefix,
        @JsonProperty("api") JsonApi api) {
      return new Route(path, upstream, policy, stripPrefix, api);
    }

    /** True when {@code requestPath} is this route's path or lies below it. */
    public boolean matches(String requestPath) {
      return covers(path, requestPath);
    }

    /** The path sent upstream for {@code requestPath} (which must match): without {@code strip_prefix}. */
    public String upstreamPath(String requestPath) {
      if (stripPrefix == null || stripPrefix.equals("/")) {
        return requestPath;
      }
      String rest = requestPath.substring(stripPrefix.length());
      return rest.isEmpty() ? "/" : rest;
    }

    private static boolean covers(String prefix, String p) {
      return prefix.equals("/") || p.equals(prefix) || p.startsWith(prefix + "/");
    }

    private static String normalizePrefix(String key, String p) {
      if (p == null) {
        return null;
      }
      if (!p.startsWith("/") || p.contains("?") || p.contains("#")) {
        throw new InvalidKeyException(key, "must be a path starting with / (no query), was '" + p + "'");
      }
      while (p.length() > 1 && p.endsWith("/")) {
        p = p.substring(0, p.length() - 1);
      }
      return p;
    }
  }

  /**
   * A generic JSON API guarded through selectors, for LLM APIs the gateway does not know: every
   * POST under the route is parsed as JSON, the strings at the {@code prompt} pointers are prompt
   * segments and those at the {@code response} pointers response segments. A pointer segment
   * {@code *} matches every element of an array or every member of an object
   * ({@code /messages/*&#47;content}).
   *
   * @param prompt JSON pointers of the prompt texts; at least one
   * @param response JSON pointers of the answer texts (may be empty)
   */
  public record JsonApi(List<String> prompt, List<String> response) {
    public JsonApi {
      if (prompt == null || prompt.isEmpty()) {
        throw new InvalidKeyException("api.prompt", "at least one JSON pointer is required (e.g. /input)");
      }
      prompt = checkPointers("api.prompt", prompt);
      response = response == null ? List.of() : checkPointers("api.response", response);
    }

    @JsonCreator
    static JsonApi fromYaml(@JsonProperty("prompt") List<String> prompt, @JsonProperty("response") List<String> response) {
      return new JsonApi(prompt, response);
    }

    private static List<String> checkPointers(String key, List<String> pointers) {
      for (int i = 0; i < pointers.size(); i++) {
        String p = pointers.get(i);
        if (p == null || !p.startsWith("/")) {
          throw new InvalidKeyException(key + "[" + i + "]", "not a JSON pointer (it must start with /): '" + p + "'");
        }
      }
      return List.copyOf(pointers);
    }
  }

  /**
   * Per-key limits, counted in fixed one-minute windows.
   *
   * @param requestsPerMinute requests a key may make per minute, or null for no limit
   * @param tokensPerMinute tokens (prompt estimated at 4 characters a token when the request
   *     arrives, plus the completion tokens the upstream reports) per minute, or null for no limit
   */
  public record RateLimit(Integer requestsPerMinute, Integer tokensPerMinute) {
    public RateLimit {
      if (requestsPerMinute != null && requestsPerMinute <= 0) {
        throw new InvalidKeyException("rate_limit.requests_per_minute", "must be > 0, was " + requestsPerMinute);
      }
      if (tokensPerMinute != null && tokensPerMinute <= 0) {
        throw new InvalidKeyException("rate_limit.tokens_per_minute", "must be > 0, was " + tokensPerMinute);
      }
    }

    @JsonCreator
    static RateLimit fromYaml(@JsonProperty("requests_per_minute") Integer requestsPerMinute,
        @JsonProperty("tokens_per_minute") Integer tokensPerMinute) {
      return new RateLimit(requestsPerMinute, tokensPerMinute);
    }
  }

  /**
   * Where rate-limit counters live: {@code memory} (one gateway) or {@code redis} (shared by
   * several gateway instances).
   *
   * @param store memory or redis
   * @param redisUrl the Redis server for {@code store: redis}, e.g. {@code redis://127.0.0.1:6379}
   */
  public record RateLimits(Store store, String redisUrl) {
    /** The counter stores. */
    public enum Store {
      MEMORY,
      REDIS;

      @com.fasterxml.jackson.annotation.JsonCreator
      static Store parse(String value) {
        for (Store s : values()) {
          if (s.name().equalsIgnoreCase(value)) {
            return s;
          }
        }
        throw new IllegalArgumentException("unknown store '" + value + "' (valid: memory, redis)");
      }
    }

    public RateLimits {
      store = store == null ? Store.MEMORY : store;
      if (store == Store.REDIS && (redisUrl == null || !redisUrl.startsWith("redis"))) {
        throw new InvalidKeyException("redis_url", "store: redis needs redis_url, e.g. redis://127.0.0.1:6379");
      }
    }

    @JsonCreator
    static RateLimits fromYaml(@JsonProperty("store") Store store, @JsonProperty("redis_url") String redisUrl) {
      return new RateLimits(store, redisUrl);
    }
  }

  /**
   * Gateway keys: which tenant a request belongs to and which policy it gets. Parsed and checked
   * here; enforcement is the proxy's.
   *
   * @param requireKey when true, a request without a known key is refused with 401
   * @param keys the known keys
   */
  public record Tenants(boolean requireKey, List<TenantKey> keys) {
    public Tenants {
      keys = keys == null ? List.of() : List.copyOf(keys);
      if (requireKey && keys.isEmpty()) {
        throw new InvalidKeyException("keys", "require_key is true but no keys are listed");
      }
      Map<String, Integer> seen = new HashMap<>();
      for (int i = 0; i < keys.size(); i++) {
        Integer before = seen.putIfAbsent(keys.get(i).sha256(), i);
        if (before != null) {
          throw new InvalidKeyException("keys[" + i + "]", "the same key is listed twice (also keys[" + before + "])");
        }
      }
    }

    @JsonCreator
    static Tenants fromYaml(@JsonProperty("require_key") Boolean requireKey, @JsonProperty("keys") List<TenantKey> keys) {
      return new Tenants(requireKey != null && requireKey, keys);
    }

    /** The entry for a key as presented by a client, compared by SHA-256. */
    public Optional<TenantKey> find(String presentedKey) {
      String digest = TenantKey.sha256Hex(presentedKey);
      return keys.stream().filter(k -> MessageDigest.isEqual(
          k.sha256().getBytes(StandardCharsets.US_ASCII), digest.getBytes(StandardCharsets.US_ASCII))).findFirst();
    }
  }

  /**
   * One gateway key. The file gives either {@code sha256} (hex digest of the key) or {@code key}
   * (the key itself, normally {@code ${ENV}}); only the digest is kept.
   *
   * @param sha256 lowercase hex SHA-256 of the key's UTF-8 bytes
   * @param tenant the tenant name recorded in audit events
   * @param policy the tenant's policy, or null to use the route's
   */
  public record TenantKey(String sha256, String tenant, String policy, RateLimit rateLimit) {
    private static final Pattern HEX64 = Pattern.compile("[0-9a-fA-F]{64}");

    public TenantKey {
      if (sha256 == null || !HEX64.matcher(sha256).matches()) {
        throw new InvalidKeyException("sha256", "not a hex SHA-256 digest (64 hex digits)");
      }
      sha256 = sha256.toLowerCase(Locale.ROOT);
      if (tenant == null || tenant.isBlank()) {
        throw new InvalidKeyException("tenant", "is required");
      }
      checkPolicyName("policy", policy);
    }

    @JsonCreator
    static TenantKey fromYaml(@JsonProperty("sha256") String sha256, @JsonProperty("key") String key,
        @JsonProperty("tenant") String tenant, @JsonProperty("policy") String policy,
        @JsonProperty("rate_limit") RateLimit rateLimit) {
      if ((sha256 == null) == (key == null)) {
        throw new InvalidKeyException("sha256", "give exactly one of sha256 or key");
      }
      if (key != null && key.isEmpty()) {
        throw new InvalidKeyException("key", "is empty (is its environment variable set?)");
      }
      return new TenantKey(key != null ? sha256Hex(key) : sha256, tenant, policy, rateLimit);
    }

    /** Hex SHA-256 of a key as presented by a client: how keys are stored and compared. */
    public static String sha256Hex(String key) {
      try {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("every Java platform has SHA-256", e);
      }
    }
  }
}

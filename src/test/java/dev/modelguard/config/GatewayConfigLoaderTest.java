package dev.modelguard.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GatewayConfigLoaderTest {
  private static final String MINIMAL = """
      policies: ../policies
      upstreams:
        openai:
          url: https://api.openai.com
      routes:
        - path: /v1
          upstream: openai
      """;

  @TempDir Path dir;

  private Path write(String yaml) throws IOException {
    Path f = dir.resolve("conf").resolve("gateway.yaml");
    Files.createDirectories(f.getParent());
    Files.writeString(f, yaml);
    return f;
  }

  private String error(String yaml) throws IOException {
    return error(yaml, Map.of());
  }

  private String error(String yaml, Map<String, String> env) throws IOException {
    Path f = write(yaml);
    ConfigException e = assertThrows(ConfigException.class, () -> GatewayConfigLoader.load(f, env));
    String prefix = f.toString();
    assertTrue(e.getMessage().startsWith(prefix + ":"), e.getMessage());
    return e.getMessage().substring(prefix.length() + 1);
  }

  @Test
  void minimalFileGetsDefaultsAndAbsolutePaths() throws IOException {
    GatewayConfig c = GatewayConfigLoader.load(write(MINIMAL), Map.of());
    assertEquals("127.0.0.1", c.listen().host());
    assertEquals(8080, c.listen().port());
    assertEquals(4L * 1024 * 1024, c.listen().maxBodyBytes());
    assertEquals(dir.resolve("policies").toAbsolutePath(), c.policies());
    assertEquals(dir.resolve("conf/audit/audit.jsonl").toAbsolutePath(), c.audit().path());
    assertEquals(100L * 1024 * 1024, c.audit().maxFileBytes());
    assertEquals(30, c.audit().retentionDays());
    assertEquals(100, c.audit().fsyncIntervalMs());
    assertFalse(c.admin().enabled());
    assertEquals(5000, c.upstreams().get("openai").connectTimeoutMs());
    assertEquals(120_000, c.upstreams().get("openai").timeoutMs());
    assertEquals("default", c.routes().get(0).policy());
    assertEquals("default", c.defaultPolicy());
    assertNull(c.tenants());
  }

  @Test
  void fullFileBindsEveryKey() throws IOException {
    GatewayConfig c = GatewayConfigLoader.load(write("""
        listen: {host: 0.0.0.0, port: 9000, max_body_bytes: 1000}
        policies: /etc/mg/policies
        audit: {path: logs/a.jsonl}
        admin: {token: s3cret}
        default_policy: strict
        upstreams:
          qwen:
            url: https://dashscope.aliyuncs.com/compatible-mode/
            headers: {Authorization: Bearer ${KEY}}
            connect_timeout_ms: 100
            timeout_ms: 200
        routes:
          - {path: /qwen/v1/, upstream: qwen, policy: monitor, strip_prefix: /qwen}
          - {path: /, upstream: qwen}
        guard_models: [models, /abs/models]
        tenants:
          require_key: true
          keys:
            - {key: "${TEAM_KEY}", tenant: team-a, policy: strict}
            - {sha256: E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855, tenant: team-b}
        """), Map.of("KEY", "sk-1", "TEAM_KEY", "test"));
    assertEquals(9000, c.listen().port());
    assertEquals(Path.of("/etc/mg/policies"), c.policies());
    assertEquals(dir.resolve("conf/logs/a.jsonl").toAbsolutePath(), c.audit().path());
    assertTrue(c.admin().enabled());
    GatewayConfig.Upstream q = c.upstreams().get("qwen");
    assertEquals("https://dashscope.aliyuncs.com/compatible-mode", q.url());
    assertEquals("Bearer sk-1", q.headers().get("Authorization"));
    assertEquals("https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions",
        q.target(c.routes().get(0).upstreamPath("/qwen/v1/chat/completions")));
    assertEquals("/qwen/v1", c.route("/qwen/v1/chat/completions").orElseThrow().path());
    assertEquals("/", c.route("/other").orElseThrow().path());
    assertEquals("strict", c.routes().get(1).policy());
    assertEquals(List.of(dir.resolve("conf/models").toAbsolutePath(), Path.of("/abs/models")), c.guardModels());
    assertTrue(c.tenants().requireKey());
    // SPEC's example digest 9f86d081... is sha256("test"): a key given in clear is kept only as its digest.
    assertEquals("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", c.tenants().keys().get(0).sha256());
    assertEquals("team-a", c.tenants().find("test").orElseThrow().tenant());
    assertEquals("team-b", c.tenants().find("").orElseThrow().tenant());
    assertTrue(c.tenants().find("other").isEmpty());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      set variable            | 'a: ${A}'              | 'a: x'
      default used            | 'a: ${UNSET:-dflt}'     | 'a: dflt'
      empty default           | 'a: ${UNSET:-}'         | 'a: '
      set beats default       | 'a: ${A:-dflt}'         | 'a: x'
      escape                  | 'a: $${A}'             | 'a: ${A}'
      comment untouched       | 'a: 1 # ${UNSET}'       | 'a: 1 # ${UNSET}'
      quoted hash not comment | 'a: "#${A}"'           | 'a: "#x"'
      apostrophe in plain     | 'a: it''s # ${UNSET}'   | 'a: it''s # ${UNSET}'
      """)
  void interpolation(String name, String in, String out) {
    assertEquals(out, EnvInterpolator.interpolate(in, Map.of("A", "x"), "f.yaml"));
  }

  @Test
  void unsetVariableIsReportedAtItsPosition() throws IOException {
    String yaml = MINIMAL.replace("https://api.openai.com", "https://api.openai.com\n    headers:\n      Authorization: Bearer ${OPENAI_API_KEY}");
    assertEquals("6:29: environment variable OPENAI_API_KEY is not set (write ${OPENAI_API_KEY:-} to allow empty)",
        error(yaml));
  }

  @Test
  void everyUnsetVariableIsReported() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> EnvInterpolator.interpolate("a: ${X}\nb: ${Y}\nc: ${bad-name}\nd: ${Z", Map.of(), "f"));
    assertEquals(4, e.errors().size(), e.getMessage());
    assertTrue(e.errors().get(1).startsWith("f:2:4: environment variable Y"), e.errors().get(1));
    assertTrue(e.errors().get(2).startsWith("f:3:4: malformed variable reference '${bad-name}'"), e.errors().get(2));
    assertTrue(e.errors().get(3).startsWith("f:4:4: unterminated"), e.errors().get(3));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      unknown listen key   | 'listen:\n  prot: 1\n'                            | '1:1'  | '2:3: listen.prot: unknown key (valid: host, port, max_body_bytes)'
      unknown top key      | 'polices: x\n'                                    | '1:1'  | '1:1: polices: unknown key (valid: listen, policies, audit, admin, upstreams, routes, guard_models, tenants, default_policy, rate_limits)'
      port out of range    | 'listen:\n  port: 70000\n'                        | '1:1'  | '2:3: listen.port: out of range: 70000 (valid: 0-65535)'
      port not a number    | 'listen:\n  port: abc\n'                          | '1:1'  | '2:3: listen.port: expected an integer, got ''abc'''
      unknown upstream key | ''                                                | 'url: https://api.openai.com\n    uri: x' | '5:5: upstreams.openai.uri: unknown key (valid: url, headers, connect_timeout_ms, timeout_ms)'
      misspelled required  | ''                                                | 'uri: https://api.openai.com' | '4:5: upstreams.openai.uri: unknown key (valid: url, headers, connect_timeout_ms, timeout_ms)'
      bad url              | ''                                                | 'url: ftp://x' | '4:5: upstreams.openai.url: not an absolute http(s) URL: ''ftp://x'''
      relative url         | ''                                                | 'url: api.openai.com' | '4:5: upstreams.openai.url: not an absolute http(s) URL: ''api.openai.com'''
      zero timeout         | ''                                                | 'url: http://x\n    timeout_ms: 0' | '5:5: upstreams.openai.timeout_ms: must be > 0, was 0'
      unknown audit key    | 'audit:\n  max_bytes: 1\n'                        | '1:1'  | '2:3: audit.max_bytes: unknown key (valid: path, max_file_bytes, retention_days, fsync_interval_ms, postgres)'
      tiny audit file size | 'audit:\n  path: a.jsonl\n  max_file_bytes: 10\n' | '1:1'  | '3:3: audit.max_file_bytes: must be >= 4096, was 10'
      negative retention   | 'audit:\n  path: a.jsonl\n  retention_days: -1\n' | '1:1'  | '3:3: audit.retention_days: must be >= 0 (0 keeps rotated files forever), was -1'
      huge fsync interval  | 'audit:\n  path: a.jsonl\n  fsync_interval_ms: 70000\n' | '1:1' | '3:3: audit.fsync_interval_ms: must be in [0, 60000], was 70000'
      postgres without url | 'audit:\n  path: a.jsonl\n  postgres:\n    table: t\n' | '1:1' | '3:3: audit.postgres.url: is required (postgresql://user@host:port/database)'
      postgres bad table   | 'audit:\n  path: a.jsonl\n  postgres:\n    url: postgresql://h/db\n    table: A-b\n' | '1:1' | '5:5: audit.postgres.table: must be a lowercase SQL identifier ([a-z_][a-z0-9_]*), was ''A-b'''
      duplicate yaml key   | 'policies: y\n'                                   | '1:1'  | '10:11: Duplicate field ''policies'''
      """)
  void invalidValuesNameFileLineColumnAndPath(String name, String prepend, String urlLine, String expected) throws IOException {
    String yaml = MINIMAL;
    if (!urlLine.equals("1:1")) {
      yaml = yaml.replace("url: https://api.openai.com", urlLine.replace("\\n", "\n"));
    }
    yaml = prepend.replace("\\n", "\n") + yaml;
    String actual = error(yaml);
    if (name.equals("duplicate yaml key")) {
      assertTrue(actual.contains("Duplicate field 'policies'"), actual);
    } else {
      assertEquals(expected, actual);
    }
  }

  @Test
  void routeToUnknownUpstreamListsValidOnes() throws IOException {
    assertEquals("7:5: routes[0].upstream: unknown upstream 'openia' (valid: openai)",
        error(MINIMAL.replace("upstream: openai", "upstream: openia")));
  }

  @Test
  void duplicateRoutePaths() throws IOException {
    assertEquals("8:5: routes[1].path: duplicate route path '/v1' (also routes[0])",
        error(MINIMAL + "  - path: /v1/\n    upstream: openai\n"));
  }

  @Test
  void emptyRoutes() throws IOException {
    assertEquals("5:1: routes: at least one route is required",
        error(MINIMAL.substring(0, MINIMAL.indexOf("routes:")) + "routes: []\n"));
  }

  @Test
  void missingPolicies() throws IOException {
    assertEquals("1:1: policies: is required (the directory of policy files)", error(MINIMAL.replace("policies: ../policies\n", "")));
  }

  @Test
  void tenantKeyNeedsExactlyOneOfShaOrKey() throws IOException {
    assertEquals("10:7: tenants.keys[0].sha256: give exactly one of sha256 or key",
        error(MINIMAL + "tenants:\n  keys:\n    - tenant: a\n"));
  }

  @Test
  void requireKeyWithoutKeys() throws IOException {
    assertEquals("8:1: tenants.keys: require_key is true but no keys are listed",
        error(MINIMAL + "tenants:\n  require_key: true\n"));
  }

  @Test
  void syntaxErrorHasPosition() throws IOException {
    String m = error("listen:\n  port: 1\n bad: [\n");
    assertTrue(m.matches("\\d+:\\d+: .+"), m);
  }

  @Test
  void missingFile() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> GatewayConfigLoader.load(dir.resolve("nope.yaml"), Map.of()));
    assertEquals(dir.resolve("nope.yaml") + ": no such file", e.getMessage());
  }
}

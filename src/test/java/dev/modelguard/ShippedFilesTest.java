package dev.modelguard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelguard.config.GatewayConfig;
import dev.modelguard.config.GatewayConfigLoader;
import dev.modelguard.policy.GuardRegistry;
import dev.modelguard.policy.Mode;
import dev.modelguard.policy.PolicyLoader;
import dev.modelguard.policy.PolicySet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every shipped gateway config and policy loads, so a broken example cannot ship. */
class ShippedFilesTest {
  /** Every variable the shipped configs name, set, as a deployment would. */
  private static final Map<String, String> ENV = Map.of(
      "OPENAI_API_KEY", "sk-test",
      "DEEPSEEK_API_KEY", "sk-deepseek",
      "DASHSCOPE_API_KEY", "sk-dashscope",
      "ANTHROPIC_API_KEY", "sk-ant-test");

  static Stream<Path> gatewayConfigs() throws IOException {
    try (Stream<Path> examples = Files.list(Path.of("gateway/examples"))) {
      List<Path> files = examples.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
      return Stream.concat(Stream.of(Path.of("gateway/gateway.yaml")), files.stream());
    }
  }

  @ParameterizedTest
  @MethodSource("gatewayConfigs")
  void gatewayConfigLoads(Path file) {
    GatewayConfig c = GatewayConfigLoader.load(file, ENV);
    assertTrue(Files.isDirectory(c.policies()), "policies directory exists: " + c.policies());
    for (Path models : c.guardModels()) {
      assertTrue(Files.isDirectory(models), "guard_models directory exists: " + models);
    }
    for (GatewayConfig.Route r : c.routes()) {
      assertTrue(Files.isRegularFile(c.policies().resolve(r.policy() + ".yaml")), "route policy exists: " + r.policy());
    }
  }

  @Test
  void defaultConfigMatchesSpec() {
    GatewayConfig c = GatewayConfigLoader.load(Path.of("gateway/gateway.yaml"), Map.of("OPENAI_API_KEY", "sk-x"));
    assertEquals("127.0.0.1", c.listen().host());
    assertEquals(8080, c.listen().port());
    assertEquals(Path.of("policies").toAbsolutePath(), c.policies());
    assertEquals(Path.of("audit/audit.jsonl").toAbsolutePath(), c.audit().path());
    assertFalse(c.admin().enabled());
    assertEquals("Bearer sk-x", c.upstreams().get("openai").headers().get("Authorization"));
    assertEquals("https://api.openai.com/v1/chat/completions",
        c.upstreams().get("openai").target(c.route("/v1/chat/completions").orElseThrow().upstreamPath("/v1/chat/completions")));
    assertEquals(List.of(Path.of("guard-models").toAbsolutePath()), c.guardModels());
  }

  @Test
  void qwenPrefixReachesCompatibleModeBase() {
    GatewayConfig c = GatewayConfigLoader.load(Path.of("gateway/examples/deepseek-qwen.yaml"), ENV);
    GatewayConfig.Route qwen = c.route("/qwen/v1/chat/completions").orElseThrow();
    assertEquals("https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions",
        c.upstreams().get(qwen.upstream()).target(qwen.upstreamPath("/qwen/v1/chat/completions")));
    GatewayConfig.Route deepseek = c.route("/deepseek/v1/chat/completions").orElseThrow();
    assertEquals("https://api.deepseek.com/v1/chat/completions",
        c.upstreams().get(deepseek.upstream()).target(deepseek.upstreamPath("/deepseek/v1/chat/completions")));
  }

  @Test
  void shippedPoliciesLoad() {
    PolicySet set = PolicyLoader.loadDirectory(Path.of("policies"), GuardRegistry.load(List.of(Path.of("guard-models"))));
    assertEquals(List.of("default", "monitor", "strict"), List.copyOf(set.names()));
    assertEquals(Mode.MONITOR, set.get("monitor").orElseThrow().mode());
    assertEquals(set.get("default").orElseThrow().prompt().size(), set.get("monitor").orElseThrow().prompt().size());
  }
}

package dev.modelguard.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modelguard.api.Jsons;
import dev.modelguard.testing.GatewayFixture;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Without {@code admin.token} the admin API and console do not exist, even behind a catch-all route. */
@ExtendWith(VertxExtension.class)
class AdminDisabledIT {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"/admin", "/admin/", "/admin/api/audit", "/admin/api/policies"})
  void everyAdminPathIs404(String path, Vertx vertx) throws Exception {
    try (GatewayFixture fx = new GatewayFixture(vertx, dir.resolve(path.replace('/', '_')), Map.of(), """
          - path: /
            upstream: llm
            policy: default
        """)) {
      HttpResponse<String> r = fx.send(HttpRequest.newBuilder(URI.create(fx.base() + path))
          .header("Authorization", "Bearer anything").GET().build());
      assertEquals(404, r.statusCode(), r.body());
      assertEquals("not_found", Jsons.MAPPER.readTree(r.body()).path("error").path("code").asText());
      assertEquals(0, fx.upstream.received().size(), "nothing reached the upstream");
    }
  }
}

package dev.modelguard.guard.rules;

import static dev.modelguard.guard.rules.Scans.assertClean;
import static dev.modelguard.guard.rules.Scans.assertFound;
import static dev.modelguard.guard.rules.Scans.scan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelguard.guard.Categories;
import dev.modelguard.guard.Finding;
import dev.modelguard.guard.Guard;
import dev.modelguard.guard.GuardContext;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class SecretsGuardTest {

  private static Guard guard(String... labels) {
    List<String> list = labels.length == 0 ? null : Arrays.asList(labels);
    return new SecretsGuard.Factory().create(new SecretsGuard.Config(list), new GuardContext("secrets", Path.of(".")));
  }

  private static final Guard ALL = guard();

  private static final String PEM = "-----BEGIN RSA PRIVATE KEY-----\n"
      + "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n"
      + "KUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\n"
      + "-----END RSA PRIVATE KEY-----";
  private static final String JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
      + ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
      + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

  /** text, label, the exact original substring that must be reported. */
  static Stream<Arguments> secrets() {
    return Stream.of(
        Arguments.of("key AKIAIOSFODNN7EXAMPLE here", "AWS_ACCESS_KEY", "AKIAIOSFODNN7EXAMPLE"),
        Arguments.of("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS_SECRET_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        Arguments.of("GITHUB_KEY=ghp_XIxB7KMNdAr3zqWtQqhE94qglHqOzn1D1stg", "GITHUB_TOKEN",
            "ghp_XIxB7KMNdAr3zqWtQqhE94qglHqOzn1D1stg"),
        Arguments.of("用这个 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 登录",
            "GITHUB_TOKEN",
            "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"),
        Arguments.of("--build-arg 'GO_REPO_TOKEN=glpat-tFrjFXD7soVU2fqxuDMh'", "GITLAB_TOKEN", "glpat-tFrjFXD7soVU2fqxuDMh"),
        Arguments.of("SLACK_API_TOKEN=xoxb-893582989554-899326518131-JRHeVv1o9Cf99fwDpuortR2D", "SLACK_TOKEN",
            "xoxb-893582989554-899326518131-JRHeVv1o9Cf99fwDpuortR2D"),
        Arguments.of("post to https://hooks.slack.com/services/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 now",
            "SLACK_WEBHOOK", "https://hooks.slack.com/services/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"),
        Arguments.of("Stripe.api_key = \"sk_live_dhhfUUyfrAace5dBAZ10JrAD\"", "STRIPE_KEY", "sk_live_dhhfUUyfrAace5dBAZ10JrAD"),
        Arguments.of("Authorization: Bearer sk-mxIt5s1tyfCJyIKHwrqOT4BlbkFJT3VVmv6VdSwB7XXIq1TO", "OPENAI_API_KEY",
            "sk-mxIt5s1tyfCJyIKHwrqOT4BlbkFJT3VVmv6VdSwB7XXIq1TO"),
        Arguments.of("OPENAI_API_KEY=sk-proj-Xq3vN8pL2mK9tR4wY7zB1cD5fG6hJ0aS3eU8iO2pQ4r", "OPENAI_API_KEY",
            "sk-proj-Xq3vN8pL2mK9tR4wY7zB1cD5fG6hJ0aS3eU8iO2pQ4r"),
        Arguments.of("key: sk-ant-api03-jSq6OMjv1syXaEUE0bvOckLe_GtCKy8lvZdko3eOJgV8TH-f2iyzRekyZNSby5d9ScikGYuqQhsrxML3X3N3rQ-XwQaQAAA",
            "ANTHROPIC_API_KEY",
            "sk-ant-api03-jSq6OMjv1syXaEUE0bvOckLe_GtCKy8lvZdko3eOJgV8TH-f2iyzRekyZNSby5d9ScikGYuqQhsrxML3X3N3rQ-XwQaQAAA"),
        Arguments.of("var DEVELOPER_KEY = 'AIzaSyB4sU8lU15bR_87qNb7eUVQN72_vv8mpbU';", "GOOGLE_API_KEY",
            "AIzaSyB4sU8lU15bR_87qNb7eUVQN72_vv8mpbU"),
        Arguments.of("{\"type\": \"service_account\", \"private_key_id\": \"3f2a9c8e1b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39\"}",
            "GCP_SERVICE_ACCOUNT", "\"private_key_id\": \"3f2a9c8e1b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39\""),
        Arguments.of("token " + JWT + " expires", "JWT", JWT),
        Arguments.of("key:\n" + PEM + "\nend", "PRIVATE_KEY", PEM),
        Arguments.of("url: postgres://admin:S3cr3tP4ss@db.internal:5432/app done", "DATABASE_URL",
            "postgres://admin:S3cr3tP4ss@db.internal:5432/app"),
        Arguments.of("mongodb+srv://svc:CPCdZH5k0F6dxQ9V@example.mongodb.net/?retryWrites=true", "DATABASE_URL",
            "mongodb+srv://svc:CPCdZH5k0F6dxQ9V@example.mongodb.net/?retryWrites=true"),
        Arguments.of("const twilioApiKeySID = 'SK9b4cc552783500ace5414a1ed3e9fd1a'", "TWILIO_API_KEY",
            "SK9b4cc552783500ace5414a1ed3e9fd1a"),
        Arguments.of("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", "SENDGRID_API_KEY",
            "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"),
        Arguments.of("//registry.npmjs.org/:_authToken=npm_TCllNwh2WLQlMWVhybM1iQrsTj6rMQ0BOh6d", "NPM_TOKEN",
            "npm_TCllNwh2WLQlMWVhybM1iQrsTj6rMQ0BOh6d"),
        Arguments.of("password: pypi-AgEIcHlwaS5vcmcCJDkwNzYwNzU1LWMwOTUtNGNkOC1iYjQzLTU3OWNhZjI1NDQ1MwACJXsicGVy",
            "PYPI_TOKEN", "pypi-AgEIcHlwaS5vcmcCJDkwNzYwNzU1LWMwOTUtNGNkOC1iYjQzLTU3OWNhZjI1NDQ1MwACJXsicGVy"),
        Arguments.of("HF_TOKEN:\"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\"", "HUGGINGFACE_TOKEN", "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"),
        Arguments.of("DefaultEndpointsProtocol=https;AccountName=acc;AccountKey=NjEwGHd9+piK+iCi2C2XURWPmeDDjif9UKN1HAszYq7w"
            + "Yw8Zr1mZ2TzLqPvSdQ9XbN3kW==;EndpointSuffix=core.windows.net", "AZURE_STORAGE_KEY",
            "NjEwGHd9+piK+iCi2C2XURWPmeDDjif9UKN1HAszYq7wYw8Zr1mZ2TzLqPvSdQ9XbN3kW=="),
        Arguments.of("https://discord.com/api/webhooks/123456789012345678/Zx9yW8vU7tS6rQ5pO4nM3lK2jI1hG0fE9dC8bA7zY6xW5vU4tS3rQ2pO1nM0lK9j",
            "DISCORD_WEBHOOK",
            "https://discord.com/api/webhooks/123456789012345678/Zx9yW8vU7tS6rQ5pO4nM3lK2jI1hG0fE9dC8bA7zY6xW5vU4tS3rQ2pO1nM0lK9j"),
        Arguments.of("bot 4839574813:AAFD39kkdpWt3ywyRZergyOLMaJhac61qc ok", "TELEGRAM_BOT_TOKEN",
            "4839574813:AAFD39kkdpWt3ywyRZergyOLMaJhac61qc"),
        Arguments.of("process.env.MAILGUN_API || 'key-46cebd38c59ac222e6cf991581411eaf'", "MAILGUN_API_KEY",
            "key-46cebd38c59ac222e6cf991581411eaf"),
        Arguments.of("$token = \"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\";", "SHOPIFY_TOKEN", "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"),
        Arguments.of("token = \"dop_v1_ef0e04edc13918192246e0c90f0735c7f4db7a5a036a857e48d6cc98f1c9576b\"", "DIGITALOCEAN_TOKEN",
            "dop_v1_ef0e04edc13918192246e0c90f0735c7f4db7a5a036a857e48d6cc98f1c9576b"),
        Arguments.of("password=Xk9#mQ2vL7pz", "GENERIC_SECRET", "Xk9#mQ2vL7pz"),
        Arguments.of("{\"api_key\": \"a8f5f167f44f4964e6c998dee827110c\"}", "GENERIC_SECRET", "a8f5f167f44f4964e6c998dee827110c"),
        Arguments.of("db:\n  password: 'Tr0ub4dor&3'\n", "GENERIC_SECRET", "Tr0ub4dor&3"),
        Arguments.of("export CLIENT_SECRET=\"Hgik3q9LmN0pQr8sTu7vWx6yZa5bCd4e\"", "GENERIC_SECRET", "Hgik3q9LmN0pQr8sTu7vWx6yZa5bCd4e"),
        Arguments.of("数据库密码是Qw3rty!2024x，别告诉别人", "GENERIC_SECRET", "Qw3rty!2024x"),
        Arguments.of("curl -H \"Authorization: Bearer 38bb7b318cc6898c80317decb34525844bc9db55\" https://api.x.io", "BEARER_TOKEN",
            "38bb7b318cc6898c80317decb34525844bc9db55"),
        // Hidden characters and full-width forms are seen through; the span covers the original characters.
        Arguments.of("token: ghp_XIxB7KMN\u200BdAr3zqWtQqhE94q\u200DglHqOzn1D1stg!", "GITHUB_TOKEN",
            "ghp_XIxB7KMN\u200BdAr3zqWtQqhE94q\u200DglHqOzn1D1stg"),
        Arguments.of("我的密钥 ＡＫＩＡＩＯＳＦＯＤＮＮ７ＥＸＡＭＰＬＥ 请保密", "AWS_ACCESS_KEY", "ＡＫＩＡＩＯＳＦＯＤＮＮ７ＥＸＡＭＰＬＥ"),
        Arguments.of("AKIA\u2060IOSFODNN7\u200BEXAMPLE", "AWS_ACCESS_KEY", "AKIA\u2060IOSFODNN7\u200BEXAMPLE"));
  }

  @ParameterizedTest
  @MethodSource("secrets")
  void findsSecrets(String text, String label, String expected) {
    Finding f = assertFound(ALL, text, label, expected);
    assertEquals(Categories.SECRET, f.category());
    assertEquals("secrets", f.guard());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "password=changeme",
      "password=<your password>",
      "password=${PASSWORD}",
      "password: \"{{ db_password }}\"",
      "password=xxxx",
      "password=********",
      "\"password\": \"\"",
      "api_key=YOUR_API_KEY",
      "OPENAI_API_KEY=sk-...",
      "token=abc",
      "password = input(\"Password: \")",
      "if password == confirm_password:",
      "password = request.form[\"password\"]",
      "export DB_PASSWORD=$DB_PASSWORD",
      "The password must be at least 8 characters long.",
      "sort_key = \"created_at\"",
      "primary_key=True",
      "Use sk-learn or scikit-learn for that.",
      "commit 6fb1cff7690db9ac066cadbbde8e3c078efdabcf fixed the bug",
      "eyJmb28iOiJiYXIifQ.eyJmb28iOiJiYXIifQ.c2lnbmF0dXJlLXBhcnQ",
      "postgres://user:<password>@localhost/db",
      "请输入您的密码，然后点击登录。",
      "忘记密码怎么办？",
      "Authorization: Bearer ${TOKEN}",
  })
  void ignoresPlaceholdersAndCode(String text) {
    assertClean(ALL, text);
  }

  @Test
  void specificFamilyWinsOverGenericAssignment() {
    List<Finding> findings = scan(ALL, "GITHUB_TOKEN=ghp_XIxB7KMNdAr3zqWtQqhE94qglHqOzn1D1stg");
    assertEquals(1, findings.size());
    assertEquals("GITHUB_TOKEN", findings.get(0).label());
    assertEquals(1.0, findings.get(0).score());
  }

  @Test
  void genericSecretsScoreBelowDeterministicOnes() {
    Finding f = assertFound(ALL, "password=Xk9#mQ2vL7pz", "GENERIC_SECRET", "Xk9#mQ2vL7pz");
    assertTrue(f.score() < 1.0);
  }

  @Test
  void reportsOnlyConfiguredLabels() {
    Guard onlyAws = guard("AWS_ACCESS_KEY");
    String text = "AKIAIOSFODNN7EXAMPLE ghp_XIxB7KMNdAr3zqWtQqhE94qglHqOzn1D1stg password=Xk9#mQ2vL7pz";
    assertEquals(List.of("AWS_ACCESS_KEY"), scan(onlyAws, text).stream().map(Finding::label).toList());
  }

  @Test
  void coversAtLeastTwentyFamilies() {
    assertTrue(SecretsGuard.allLabels().size() >= 20, SecretsGuard.allLabels().toString());
  }

  @Test
  void unknownLabelIsAnErrorListingTheValidOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new SecretsGuard.Config(List.of("JWT", "AWS_KEY")));
    assertTrue(e.getMessage().startsWith("labels[1]: unknown label 'AWS_KEY' (valid: PRIVATE_KEY, "), e.getMessage());
    assertTrue(e.getMessage().contains("AWS_ACCESS_KEY"), e.getMessage());
  }
}

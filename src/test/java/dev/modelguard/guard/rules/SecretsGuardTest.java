package dev.modelguard.guard.rules;

import static dev.modelguard.guard.rules.Scans.assertClean;
import static dev.modelguard.guard.rules.Scans.assertFound;
import static dev.modelguard.guard.rules.Scans.scan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelguard.guard.Categories;
import dev.modelguard.guard.Finding;
import dev.modelguard.guard.Guard;
import dev.modelguard.guard.GuardContext;
import dev.modelguard.guard.NormalizedText;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
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

  /**
   * At least one positive example for every family (the test below checks that), so the keyword
   * prefilter is shown to keep each family's detection.
   */
  static final List<String> FAMILY_EXAMPLES = List.of(
      "key:\n" + PEM + "\nend",
      "PEM_B64=" + Base64.getEncoder().encodeToString(PEM.getBytes(StandardCharsets.US_ASCII)),
      "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nComment: rsa-key-20240101\nPublic-Lines: 1\n"
          + "AAAAB3NzaC1yc2EAAAABJQAAAIEAhkM3\nPrivate-Lines: 1\nAAAAgCaWx9o2Jp3Rk0Qy7MZsWmQpLtR3vN8\n",
      "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX",
      "{\"type\": \"service_account\", \"private_key_id\": \"3f2a9c8e1b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39\"}",
      "key AKIAIOSFODNN7EXAMPLE here and A3T0ABCDEFGHIJKLMNOP",
      "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      "aws_session_token = IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDx7sY3Zb9K2mPq4rT8vW1nL6hJ5"
          + "gF0dS3aE9cR2bN7uYwIgM4kL8pQ2vX6zH1jT9rW3nB5cF7dA0eG4iK8mO2qS6uY=",
      "GITHUB_KEY=ghp_XIxB7KMNdAr3zqWtQqhE94qglHqOzn1D1stg",
      "--build-arg 'GO_REPO_TOKEN=glpat-tFrjFXD7soVU2fqxuDMh'",
      "SLACK_API_TOKEN=xoxb-893582989554-899326518131-JRHeVv1o9Cf99fwDpuortR2D",
      "ENV SLACK_TOKEN=\"xapp-083452001657-ShAYwge/87H4lC3j7lZ48pAL\"",
      "https://hooks.slack.com/services/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",
      "Stripe.api_key = \"sk_live_dhhfUUyfrAace5dBAZ10JrAD\"",
      "sk-ant-api03-jSq6OMjv1syXaEUE0bvOckLe_GtCKy8lvZdko3eOJgV8TH-f2iyzRekyZNSby5d9ScikGYuqQhsrxML3X3N3rQ-XwQaQAAA",
      "Authorization: Bearer sk-mxIt5s1tyfCJyIKHwrqOT4BlbkFJT3VVmv6VdSwB7XXIq1TO",
      "var DEVELOPER_KEY = 'AIzaSyB4sU8lU15bR_87qNb7eUVQN72_vv8mpbU';",
      "const CLIENTSECRET = \"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\"",
      "token " + JWT + " expires",
      "export MAPBOX_SECRET_TOKEN=sk.eyJ1IjoiY2FwcGVsYWVyZSIsImEicf99c1BaTkZnIn0.P4lD1eHeSEx7AsBq1zbJ4g",
      "Authorization: Bearer eyJrIjoiWHZiSWd5NzdCYUZnNUtibE8obUpESmE2bzJYNDRIc1UiLCJuIjoibXlrZXkiLCJpZCI7MX1",
      "url: postgres://admin:S3cr3tP4ss@db.internal:5432/app done",
      "'API' => env('TWILIO_API','SK6e84981d07ace5c9df33e1ab043a2fb2'),",
      "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",
      "//registry.npmjs.org/:_authToken=npm_TCllNwh2WLQlMWVhybM1iQrsTj6rMQ0BOh6d",
      "password: pypi-AgEIcHlwaS5vcmcCJDkwNzYwNzU1LWMwOTUtNGNkOC1iYjQzLTU3OWNhZjI1NDQ1MwACJXsicGVy",
      "HF_TOKEN:\"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\"",
      "DefaultEndpointsProtocol=https;AccountName=acc;AccountKey=NjEwGHd9+piK+iCi2C2XURWPmeDDjif9UKN1HAszYq7w"
          + "Yw8Zr1mZ2TzLqPvSdQ9XbN3kW==;EndpointSuffix=core.windows.net",
      "https://foo.azconfig.io;Id=ABCD-E6-s0:tl6ABcdefGHi7kLMno/p;Secret=abCD1EF+GHIJxLMnOA53ST8uVWX05zaBCdE/fg9hi4k=",
      "6RtqHqPc66Y6DYbkydbrrFJTYnRoA7r40ts7LWS2SkINSFsRABxhJQQJ99BFACAAAAALGcqjAAASAZDO3eqU",
      "https://discord.com/api/webhooks/123456789012345678/Zx9yW8vU7tS6rQ5pO4nM3lK2jI1hG0fE9dC8bA7zY6xW5vU4tS3rQ2pO1nM0lK9j",
      "bot 4839574813:AAFD39kkdpWt3ywyRZergyOLMaJhac61qc ok",
      "process.env.MAILGUN_API || 'key-46cebd38c59ac222e6cf991581411eaf'",
      "MAILCHIMP_API='bd3777708aecfee66c5335f62a6246a4-us13'",
      "$token = \"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\";",
      "token = \"dop_v1_ef0e04edc13918192246e0c90f0735c7f4db7a5a036a857e48d6cc98f1c9576b\"",
      "export IO_KEY=\"aio_NrZCb67VvzSaM7fr3nMXrfZ1uMPH\"",
      "ARTIFACTORY_API_TOKEN=AKCp8igrDNFerC357m4422e4tmu7xB983QLPxJhKFcSMfoux2RFvp8rc4jC8t9ncdmYCMFD8W",
      "git ls-remote https://gemesa:ATBB3g7gLXseCxPjJs1CQNMyEjwf1D12516D@bitbucket.org/team/repo",
      "aws_appsync_apiKey: 'da2-nmaqhbb63zabjactesiydcfuvu',",
      "dapif21ee53d2b3648c2a1ed38953312a203",
      "docker login -u gemesa -p dckr_pat_hc8VxYclixyTr2rDFsa2rqzkP3Y",
      "dp.ct.bAqhcVzrhy5cRHkOlNTc0Ve6w5NUDCpcutm8vGE9myi",
      "\"access_token\": \"sl.AbX9y6Fe3AuH5o66-gmJpR032jwAwQPIVVzWXZNkdzcYT02akC2de219dZi6gxYPVnYPrpvISRSf9lxKWJzYLjtMPH"
          + "-d9fo_0gXex7X37VIvpty4-G8f4-WX45AcEPfRnJJDwzv-\",",
      "odt_KTJlDq2AGGGlqG4riKdT7p980AW8RlU5",
      "access_token=EAACEdEose0cBAD5XZCz5JXYvqyeJzcSvFZC42toHiWyfjhcZCMZBZCpE3uRJnEBsrhUEMRK1wWs6Ssdi",
      "app = FirecrawlApp(api_key=\"fc-7da8b1ca1d2150c496e91440d777fea8\")",
      "const apiKey = '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';",
      "apikey: hvs.JGbZZaCkOSgsZ56uhGlTK2zyC1j2mwhy0VLp4",
      "JINA_KEY = os.getenv('JINA_KEY','jina_c1758c6f49e14ced990ac7776800dc45ShJNTXBCizzwjE6IMFYJ7LD959cG')",
      "admin_access:NRAA-4780f48c47df5882dbec3fd82c7",
      "nuget push pkg.nupkg oy2dgb333j35kjjybcf99yzxo7hjyloera4anxn4ivcvle -Source https://api.nuget.org/v3/index.json",
      "('x-api-key', 'PMAK-629c73facbc064567cbf6970-f56e8b4cd0bb14d00962f17afc158dc2a2')",
      "curl -H 'Authorization:rubygems_b9ce70c306b3a2e248679fbbbd66723d408d3c8c5f00566c' https://rubygems.org/api/v1",
      "00DE0X0A0M0PeLE!CJoAQOx1GCLf1UIt4UU9y0VOPLUZAYN6I8DsdGEDyHh5cO02egObcAhIDHYiGCfi94c53oFbr4HB.xZfuYRGhvNuxobAAXRe",
      "access token sgp_b70acbf2f685734c19791789fdeb73c6393dd02a",
      "personal access token sq0atp-qUlZzae8wVMc5P5NZdf5DA<br/>",
      "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",
      "live_126031192_tiX3sbwIzL9VmkecdxioBMA1LJ9S4m",
      "webhooks: https://outlook.office.com/webhook/2f92c502-7feb-4a6c-86f1-477271ae576f@990414fa-d0a3-42f5-b740-21d865a44a28"
          + "/IncomingWebhook/54e43eb586f14aa9984d5c0bec3d5050/539ce6fa-e9aa-413f-a79b-fb7e8998fcac",
      "$1$OKgLCmVl$d02jECa4DXn/oXX0R.MoQ/",
      "$krb5tgs$23$*svc_sql$CORP.LOCAL$MSSQLSvc/db.corp.local*$3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c$9e8d7c6b5a49",
      "[Interface]\nAddress = 10.200.200.3/32\nPrivateKey = AsaFot43bfs1fEWjvtty+rGcjh3rP1H6sug1l3u19ix=\nDNS = 8.8.8.8",
      "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
      "Authorization: SSWS 00QCjAl4MlV-WPXM-ABCDEFGHIJKL-0HmjFx-vbGua",
      "machine api.github.com login ziggy^stardust password 012345abcdef",
      "Bearer: ciotgp8BGZBlX192iExSQPm0SrUlBunG8zd",
      "sonar.login', '826de5590c75919a8317fdface58206eebe7ebbc",
      "SONAR_TOKEN=sqp_3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a",
      "okta_secret:  00QCjAl4MlV-WPXM-ABCDEFGHIJKL-0HmjFx-vbGua",
      "CODECLIMATE_REPO_TOKEN=d37a8b9e09642cb73cfcf4e1284815fc3d6a55a7714110187ac59856ae4ab5ad",
      "postmark: \"f59dffd2-83ea-47c7-ba8f-95e053a6d0ae\",",
      "http://thingsboard.cloud/api/v1/354u1g321kcqc1oad3w7/telemetry",
      "\"method\":\"auth.login_with_api_key\", \"params\":[\"8-Lp22ov7halMBLUpG97Wg4y7fibQi3CW19VJiZcCu746zgCs0mdDdTCoOcpgEucgu\"]",
      "Unseal Key 2: 0tZn+7QQCxphpHwTm7/dC3LpP5JGIbYl3PK8Sy81R+P2",
      "sender.Credentials = new NetworkCredential(\"NuGets@example.com\", \"vzihlaquknriqlht\");",
      "New-Object DirectoryServices.DirectoryEntry(\"LDAP://10.10.10.1\",\"domain\\\\user\", \"s3cr3tPw\")",
      "curl -X POST https://fra1.blynk.cloud/oauth2/token -u oa2-client-id_zmNtW:5uC5Y4Mcvdl5rB56rBmxnvB4DZgiIpcyTPbOoEWp",
      "--tls-bootstrap-token abcdef.1234567890abcdef",
      "The default Password is 'blooberry'",
      "数据库密码是Qw3rty!2024x，别告诉别人",
      "<add key=\"FromEmailPassword\" value=\"Prestigitariu$\"/>",
      "password=Xk9#mQ2vL7pz",
      "{\"api_key\": \"a8f5f167f44f4964e6c998dee827110c\"}",
      "export CLIENT_SECRET=\"Hgik3q9LmN0pQr8sTu7vWx6yZa5bCd4e\"",
      "GITHUB_PAT = \"Xk9mQ2vL7pzR4tY8wB1n\"");

  @Test
  void everyFamilyMatchesAnExampleWithItsKeywordsInsideTheMatch() {
    for (int family = 0; family < SecretsGuard.familyCount(); family++) {
      int matches = 0;
      for (String example : FAMILY_EXAMPLES) {
        List<Boolean> keywordsInside = SecretsGuard.keywordsInsideMatches(family, example);
        assertFalse(keywordsInside.contains(false), "family " + family + ": a match lacks its keywords in " + example);
        matches += keywordsInside.size();
      }
      assertTrue(matches > 0, "family " + family + " has no positive example");
    }
    int assignments = 0;
    for (String example : FAMILY_EXAMPLES) {
      List<Boolean> keywordsInside = SecretsGuard.assignmentKeywordsInsideMatches(example);
      assertFalse(keywordsInside.contains(false), "an assignment lacks its keywords in " + example);
      assignments += keywordsInside.size();
    }
    assertTrue(assignments >= 4, "too few generic assignments among the examples");
  }

  static Stream<String> allExamples() {
    return Stream.of(FAMILY_EXAMPLES.stream(), secrets().map(a -> (String) a.get()[0]),
        Stream.of("AKIAIOSFODNN7EXAMPLE ghp_XIxB7KMNdAr3zqWtQqhE94qglHqOzn1D1stg password=Xk9#mQ2vL7pz",
            "Ask the TASK runner; Asia and SKY are words, not keys.", "")).flatMap(s -> s);
  }

  @ParameterizedTest
  @MethodSource("allExamples")
  void keywordPrefilterChangesNoFinding(String text) {
    SecretsGuard all = (SecretsGuard) ALL;
    NormalizedText nt = NormalizedText.of(text);
    assertEquals(all.inspect(nt, false), all.inspect(nt, true));
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

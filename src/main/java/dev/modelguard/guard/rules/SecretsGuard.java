package dev.modelguard.guard.rules;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.modelguard.guard.Categories;
import dev.modelguard.guard.Finding;
import dev.modelguard.guard.Guard;
import dev.modelguard.guard.GuardContext;
import dev.modelguard.guard.SimpleGuardFactory;
import dev.modelguard.guard.NormalizedText;
import dev.modelguard.guard.Segment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds credentials (cloud keys, API tokens, private keys, database URLs with passwords,
 * password assignments) in text, category {@code secret}, one label per credential family.
 *
 * <p>Specific families (recognised by a vendor prefix or structure) score 1.0. The generic
 * families ({@code GENERIC_SECRET}, {@code BEARER_TOKEN}, {@code URL_CREDENTIALS}) recognise a
 * secret by the name it is assigned to and accept the value only when it is long and random enough
 * and not a placeholder; they score 0.8. Where a specific family and a generic one cover the same
 * characters, only the specific one is reported.
 *
 * <p>A family's pattern runs only when one of its keywords (literals every match contains, such
 * as {@code AKIA} or {@code ghp_}) occurs in the text; one {@link KeywordScanner} pass finds them
 * all, so text without any costs a single scan instead of one regex pass per family.
 *
 * <p>Patterns are compiled once; {@link #inspect} keeps no state and is thread-safe. It never
 * blocks and works on any window of a text.
 */
public final class SecretsGuard implements Guard {

  static final String GENERIC_SECRET = "GENERIC_SECRET";
  private static final double GENERIC_SCORE = 0.8;

  /**
   * One credential pattern. {@code keywords} are literals that every match of {@code pattern}
   * contains (case-insensitively when the pattern is {@code (?i)}), so the pattern runs only on
   * texts where they occur: most texts contain none, and one keyword scan is far cheaper than
   * running every pattern. Written as {@code a|b&c}, see {@link KeywordScanner.Builder#condition}.
   */
  private record Family(String label, String keywords, Pattern pattern, int group, Predicate<String> valid,
      double score) {}

  private static final List<Family> FAMILIES = List.of(
      f("PRIVATE_KEY", "-----BEGIN", "-----BEGIN[ A-Z0-9]{0,20} PRIVATE KEY(?: BLOCK)?-----"
          // Without an END line (a cut-off window or a truncated paste) the block runs as far as
          // base64 lines continue, also through string-literal quotes and escaped newlines.
          + "(?:[\\s\\S]{0,8192}?-----END[ A-Z0-9]{0,20} PRIVATE KEY(?: BLOCK)?-----"
          + "|(?:(?:\\s|\\\\[rn]|[\"'+,])*[A-Za-z0-9+/=]{16,})*)"),
      f("PRIVATE_KEY", "LS0tLS1CRUdJTi", "(?<![A-Za-z0-9+/])LS0tLS1CRUdJTi[A-Za-z0-9+/]{40,}={0,2}", 0,
          SecretsGuard::base64PemPrivateKey, 1.0),
      f("PRIVATE_KEY", "PuTTY-User-Key-File-", "PuTTY-User-Key-File-\\d: [^\\n]+\\nEncryption: [^\\n]+\\nComment: [^\\n]*\\nPublic-Lines: \\d+"
          + "[\\s\\S]*?Private-Lines: \\d+\\n[A-Za-z0-9+/=\\n]+"),
      f("AGE_SECRET_KEY", "AGE-SECRET-KEY-1", "AGE-SECRET-KEY-1[0-9A-Z]{58}"),
      f("GCP_SERVICE_ACCOUNT", "\"private_key_id\"", "\"private_key_id\"\\s*:\\s*\"[a-f0-9]{40}\""),
      f("AWS_ACCESS_KEY", "AKIA|ASIA|A3T|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA", "(?<![A-Za-z0-9])(?:AKIA|ASIA|A3T[A-Z0-9]|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
      f("AWS_SECRET_KEY", "secret", "(?i)(?:aws)?[_. -]?secret[_. -]?(?:access[_. -]?)?key(?:[_. -]?id)?[\"']?\\s*(?:=>|:=|[=:])?\\s*[\"']?"
          + "([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])", 1, v -> true, 1.0),
      f("AWS_SESSION_TOKEN", "session", "(?i)aws[_. -]?session[_. -]?token[\"']?\\s*(?:=>|:=|[=:])\\s*[\"']?([A-Za-z0-9/+=]{100,})", 1,
          v -> true, 1.0),
      f("GITHUB_TOKEN", "ghp_|gho_|ghu_|ghs_|ghr_|github_pat_", "(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})"),
      f("GITLAB_TOKEN", "glpat-|glptt-|glrt-|gldt-|glcbt-|gloas-|glsoat-|glft-|glimt-|glagent-|GR1348941", "(?<![A-Za-z0-9_-])(?:gl(?:pat|ptt|rt|dt|cbt|oas|soat|ft|imt|agent)-[A-Za-z0-9_-]{20,}"
          + "|GR1348941[A-Za-z0-9_-]{20})"),
      f("SLACK_TOKEN", "xoxb-|xoxa-|xoxp-|xoxr-|xoxs-|xoxe-", "(?<![A-Za-z0-9])xox[baprse]-[0-9A-Za-z-]{10,}"),
      f("SLACK_TOKEN", "xapp-", "(?<![A-Za-z0-9])xapp-[0-9A-Za-z/+-]{20,}"),
      f("SLACK_WEBHOOK", "https://hooks.slack.com/", "https://hooks\\.slack\\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/+-]{20,}"),
      f("STRIPE_KEY", "sk_live_|sk_test_|rk_live_|rk_test_", "(?<![A-Za-z0-9])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"),
      f("ANTHROPIC_API_KEY", "sk-ant-", "(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{32,}"),
      f("OPENAI_API_KEY", "sk-", "(?<![A-Za-z0-9_-])sk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}", 0,
          v -> hasDigit(v) && RuleSupport.entropy(v) >= 3.5, 1.0),
      f("GOOGLE_API_KEY", "AIza", "(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])"),
      f("GOOGLE_OAUTH", "GOCSPX-|ya29.", "(?<![A-Za-z0-9_-])(?:GOCSPX-[A-Za-z0-9_-]{28}|ya29\\.[0-9A-Za-z_-]{20,})"),
      f("JWT", "eyJ", "(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}", 0,
          SecretsGuard::jwtHeader, 1.0),
      f("MAPBOX_TOKEN", "k.eyJ", "(?<![A-Za-z0-9])[spt]k\\.eyJ[A-Za-z0-9_-]{20,}\\.[A-Za-z0-9_-]{20,}"),
      f("GRAFANA_TOKEN", "eyJrIjoi|glc_|glsa_", "(?<![A-Za-z0-9_-])(?:eyJrIjoi[A-Za-z0-9+/_-]{50,}={0,2}|glc_[A-Za-z0-9+/=_-]{32,}"
          + "|glsa_[A-Za-z0-9]{32}_[a-f0-9]{8})"),
      f("DATABASE_URL", "postgres|mysql|mariadb|mongodb|redis|amqp|mssql|sqlserver|clickhouse|cockroachdb|couchdb|neo4j|jdbc:&://&@", "(?i)(?<![a-z0-9+])(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\\+srv)?|rediss?|amqps?|mssql|sqlserver"
          + "|clickhouse|cockroachdb|couchdb|neo4j|jdbc:[a-z]+)://[^\\s:/@'\"]+:([^\\s'\"/]+)@[^\\s'\"]+", 0,
          SecretsGuard::urlPassword, 1.0),
      f("TWILIO_API_KEY", "SK", "(?<![A-Za-z0-9])SK[0-9a-fA-F]{32}(?![A-Za-z0-9])"),
      f("SENDGRID_API_KEY", "SG.", "(?<![A-Za-z0-9])SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}"),
      f("NPM_TOKEN", "npm_", "(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])"),
      f("PYPI_TOKEN", "pypi-AgEIcHlwaS5vcmc", "pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}"),
      f("HUGGINGFACE_TOKEN", "hf_|api_org_", "(?<![A-Za-z0-9_])(?:hf_[A-Za-z0-9]{34,40}|api_org_[A-Za-z0-9]{34})(?![A-Za-z0-9])", 0,
          v -> hasDigit(v) || hasUpper(v.substring(3)), 1.0),
      f("AZURE_STORAGE_KEY", "accountkey=", "(?i)AccountKey=([A-Za-z0-9+/]{40,}={0,2})", 1, v -> true, 1.0),
      f("AZURE_CONNECTION_STRING", "sharedaccesskey=|;secret=", "(?i)(?:SharedAccessKey|;Secret)=([A-Za-z0-9+/]{30,}={0,2})", 1, v -> true, 1.0),
      f("AZURE_DEVOPS_PAT", "AZDO", "(?<![A-Za-z0-9])[A-Za-z0-9]{76}AZDO[A-Za-z0-9]{4}(?![A-Za-z0-9])"),
      f("DISCORD_WEBHOOK", "/api/webhooks/", "https://(?:ptb\\.|canary\\.)?discord(?:app)?\\.com/api/webhooks/\\d{5,30}/[A-Za-z0-9_-]{60,}"),
      f("TELEGRAM_BOT_TOKEN", ":AA", "(?<![A-Za-z0-9])\\d{8,10}:AA[A-Za-z0-9_-]{30,35}(?![A-Za-z0-9_-])"),
      f("MAILGUN_API_KEY", "key-", "(?<![A-Za-z0-9])key-[0-9a-f]{32}(?![A-Za-z0-9])"),
      f("MAILCHIMP_API_KEY", "-us", "(?<![A-Za-z0-9])[0-9a-f]{32}-us\\d{1,2}(?![A-Za-z0-9])"),
      f("SHOPIFY_TOKEN", "shpat_|shpca_|shppa_|shpss_", "(?<![A-Za-z0-9])shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}(?![A-Za-z0-9])"),
      f("DIGITALOCEAN_TOKEN", "doo_v1_|dop_v1_|dor_v1_", "(?<![A-Za-z0-9])do[opr]_v1_[a-f0-9]{64}(?![A-Za-z0-9])"),
      f("ADAFRUIT_IO_KEY", "aio_", "(?<![A-Za-z0-9_])aio_[A-Za-z0-9]{28}(?![A-Za-z0-9])"),
      f("ARTIFACTORY_TOKEN", "AKCp|cmVmdGtuOjAxOj", "(?<![A-Za-z0-9])(?:AKCp[A-Za-z0-9]{69}|cmVmdGtuOjAxOj[A-Za-z0-9]{50,})(?![A-Za-z0-9])"),
      f("ATLASSIAN_TOKEN", "ATATT3|ATBB", "(?<![A-Za-z0-9])(?:ATATT3[A-Za-z0-9_=-]{60,}|ATBB[A-Za-z0-9]{28,})"),
      f("AWS_APPSYNC_KEY", "da2-", "(?<![A-Za-z0-9])da2-[a-z0-9]{26}(?![A-Za-z0-9])"),
      f("DATABRICKS_TOKEN", "dapi", "(?<![A-Za-z0-9])dapi[a-f0-9]{32}(?:-\\d)?(?![A-Za-z0-9])"),
      f("DOCKER_HUB_TOKEN", "dckr_pat_", "(?<![A-Za-z0-9])dckr_pat_[A-Za-z0-9_-]{27}(?![A-Za-z0-9_-])"),
      f("DOPPLER_TOKEN", "dp.", "(?<![A-Za-z0-9])dp\\.(?:ct|pt|st(?:\\.[a-z0-9_-]{2,35})?|sa|scim|audit)\\.[A-Za-z0-9]{40,44}"),
      f("DROPBOX_TOKEN", "sl.", "(?<![A-Za-z0-9])sl\\.[A-Za-z0-9_-]{130,}"),
      f("DYNATRACE_TOKEN", "dt0|odt_", "(?<![A-Za-z0-9])(?:dt0[a-z]\\d{2}\\.[A-Z0-9]{24}\\.[A-Z0-9]{64}|odt_[A-Za-z0-9]{32,40})(?![A-Za-z0-9])"),
      f("FACEBOOK_TOKEN", "EdEose0cBA", "(?<![A-Za-z0-9])EAA[CG]EdEose0cBA[0-9A-Za-z]{20,}"),
      f("FIRECRAWL_API_KEY", "fc-", "(?<![A-Za-z0-9-])fc-[a-f0-9]{32}(?![A-Za-z0-9])"),
      f("GROQ_API_KEY", "gsk_", "(?<![A-Za-z0-9_])gsk_[A-Za-z0-9]{52}(?![A-Za-z0-9])"),
      f("VAULT_TOKEN", "hvs.|hvb.|hvr.", "(?<![A-Za-z0-9])hv[sbr]\\.[A-Za-z0-9_-]{24,}"),
      f("JINA_API_KEY", "jina_", "(?<![A-Za-z0-9_])jina_[A-Za-z0-9]{60}(?![A-Za-z0-9])"),
      f("NEW_RELIC_KEY", "NRAK-|NRII-|NRIQ-|NRRA-|NRAA-|NRJS-|NRAL", "(?<![A-Za-z0-9])(?:NR(?:AK|II|IQ|RA|AA|JS)-[A-Za-z0-9_-]{19,42}|[a-z0-9]{36}NRAL)(?![A-Za-z0-9])"),
      f("NUGET_API_KEY", "oy2", "(?<![A-Za-z0-9])oy2[a-z0-9]{43}(?![A-Za-z0-9])"),
      f("POSTMAN_API_KEY", "PMAK-", "(?<![A-Za-z0-9])PMAK-[a-f0-9]{24}-[a-f0-9]{34}(?![A-Za-z0-9])"),
      f("RUBYGEMS_API_KEY", "rubygems_", "(?<![A-Za-z0-9])rubygems_[a-f0-9]{48}(?![A-Za-z0-9])"),
      f("SALESFORCE_TOKEN", "00D", "(?<![A-Za-z0-9])00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]{80,}"),
      f("SOURCEGRAPH_TOKEN", "sgp_", "(?<![A-Za-z0-9])sgp_(?:(?:[a-f0-9]{16}|local)_)?(?:[a-f0-9]{40}|[A-Za-z0-9]{64})(?![A-Za-z0-9])"),
      f("SQUARE_TOKEN", "sq0atp-|sq0csp-|EAAA", "(?<![A-Za-z0-9])(?:sq0(?:atp|csp)-[A-Za-z0-9_-]{22,43}|EAAA[A-Za-z0-9_-]{60})(?![A-Za-z0-9_-])"),
      f("TAVILY_API_KEY", "tvly-", "(?<![A-Za-z0-9])tvly-[A-Za-z0-9]{32}(?![A-Za-z0-9])"),
      f("TWITCH_STREAM_KEY", "live_", "(?<![A-Za-z0-9])live_\\d{6,12}_[A-Za-z0-9]{30}(?![A-Za-z0-9])"),
      f("MICROSOFT_TEAMS_WEBHOOK", "/IncomingWebhook/", "https://[a-z0-9.-]*(?:outlook\\.office|webhook\\.office)\\.com/webhook[b2]?/"
          + "[a-f0-9-]{36}@[a-f0-9-]{36}/IncomingWebhook/[a-f0-9]{32}/[a-f0-9-]{36}"),
      f("PASSWORD_HASH", "$1$|$2$|$2a$|$2b$|$2x$|$2y$|$5$|$6$|$7$|$8$|$9$|$y$|$gy$|$md5$|$sha1$", "(?<![A-Za-z0-9$])\\$(?:1|2[abxy]?|5|6|7|8|9|y|gy|md5|sha1)\\$(?:rounds=\\d+\\$)?[A-Za-z0-9./]{2,}"
          + "\\$[A-Za-z0-9./]{20,}"),
      f("KERBEROS_HASH", "$krb5", "\\$krb5(?:asrep|tgs|pa)\\$\\d+\\$[^\\s]{16,}"),
      f("WIREGUARD_KEY", "privatekey|presharedkey", "(?i)(?:PrivateKey|PresharedKey)\\s*=\\s*([A-Za-z0-9+/]{43}=)", 1, v -> true, 1.0),
      f("BASIC_AUTH", "authorization", "(?i)Authorization[\"']?\\s*:\\s*[\"']?Basic\\s+([A-Za-z0-9+/]{8,}={0,2})", 1,
          SecretsGuard::basicCredentials, 1.0),
      f("OKTA_TOKEN", "ssws", "(?i)SSWS\\s+(00[A-Za-z0-9_-]{40})(?![A-Za-z0-9_-])", 1, v -> true, 1.0),
      f("NETRC_PASSWORD", "machine&login&password", "(?m)machine\\s+\\S+\\s+login\\s+\\S+\\s+password\\s+(\\S+)", 1,
          v -> !isPlaceholder(v), 1.0),
      f("BEARER_TOKEN", "authorization|bearer:", "(?i)(?:Authorization[\"']?\\s*:\\s*[\"']?|\\bBearer:\\s*)(?:Bearer|token)?\\s*"
          + "([A-Za-z0-9._~+/-]{10,}=*)", 1, SecretsGuard::tokenValue, GENERIC_SCORE),
      f("URL_CREDENTIALS", "://&@", "(?i)\\b(?:https?|ftps?|sftp|ssh|git\\+https?|smtps?|ldaps?)://[^\\s:/@'\"]{1,64}:([^\\s'\"/@]{3,128})@"
          + "[A-Za-z0-9.-]+", 0, SecretsGuard::urlPassword, GENERIC_SCORE),
      f("SONAR_TOKEN", "sonar&login", "(?i)sonar[._-]?login[\"']?\\s*(?:=>|[=:,])?\\s*[\"']?([a-f0-9]{40})(?![A-Za-z0-9])", 1,
          v -> true, 1.0),
      f("SONAR_TOKEN", "sqa_|sqp_|squ_", "(?<![A-Za-z0-9])sq[apu]_[a-f0-9]{40}(?![A-Za-z0-9])"),
      f("OKTA_TOKEN", "okta", "(?i)okta[\\w-]*[\"']?\\s*(?:=>|[=:{])[^\\n]{0,5}\\n?[^\\n]{0,30}?[\"']?(00[A-Za-z0-9_-]{40})"
          + "(?![A-Za-z0-9_-])", 1, v -> RuleSupport.entropy(v) >= 3.0, 1.0),
      f("CODECLIMATE_TOKEN", "codeclimate|cc_test_reporter", "(?i)(?:codeclimate|cc_test_reporter)[\\w]*[\"']?\\s*[=:]\\s*[\"']?([a-f0-9]{64})"
          + "(?![A-Za-z0-9])", 1, v -> true, 1.0),
      f("POSTMARK_TOKEN", "postmark", "(?i)postmark[\\w-]*[\"']?\\s*[=:]\\s*[\"']([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}"
          + "-[0-9a-f]{12})[\"']", 1, v -> true, 1.0),
      f("THINGSBOARD_TOKEN", "thingsboard.cloud/api/v1/", "(?i)thingsboard\\.cloud/api/v1/([a-z0-9]{20})/", 1, v -> true, 1.0),
      f("TRUENAS_API_KEY", "login_with_api_key", "(?i)login_with_api_key[\"']?[\\s\\S]{0,40}?[\"'](\\d{1,3}-[A-Za-z0-9]{64})[\"']", 1,
          v -> true, 1.0),
      f("VAULT_UNSEAL_KEY", "unseal", "(?i)unseal(?:\\s+key\\s*\\d+\\s*:|\\s)\\s*([A-Za-z0-9+/]{44,}={0,2})(?![A-Za-z0-9+/=])", 1,
          v -> true, 1.0),
      f("HARDCODED_CREDENTIAL", "NetworkCredential(", "NetworkCredential\\(\\s*\"[^\"\\n]*\"\\s*,\\s*\"([^\"\\n]{4,})\"", 1,
          SecretsGuard::passwordValue, GENERIC_SCORE),
      f("HARDCODED_CREDENTIAL", "DirectoryEntry(", "DirectoryEntry\\(\\s*\"[^\"\\n]*\"\\s*,\\s*\"[^\"\\n]*\"\\s*,\\s*\"([^\"\\n]{4,})\"", 1,
          SecretsGuard::passwordValue, GENERIC_SCORE),
      f("CLI_PASSWORD", "-u&-p", "(?<![A-Za-z0-9-])-u\\s+\\S+\\s+-p\\s+([^\\s]+)", 1, v -> !isPlaceholder(v), GENERIC_SCORE),
      f("CLI_PASSWORD", "-u&:", "(?<![A-Za-z0-9-])-u\\s+[\"']?[^\\s:\"'@/-][^\\s:\"'@/]*:([^\\s\"'@]{8,})(?=[\\s\"']|$)", 1,
          SecretsGuard::tokenValue, GENERIC_SCORE),
      f("CLI_PASSWORD", "password|passwd|api-key|apikey|token|secret&-", "(?i)(?<![A-Za-z0-9-])-{1,2}[a-z-]{0,24}(?:password|passwd|api-?key|apikey|token|secret)(?:\\s+|=)"
          + "[\"']?([^\\s\"']+)", 1, SecretsGuard::passwordValue, GENERIC_SCORE),
      f(GENERIC_SECRET, "password", "(?i)\\bpassword(?: for [^.\\n]{1,40}?)? is\\s+[\"']([^\"'\\s]{4,64})[\"']", 1,
          SecretsGuard::passwordValue, GENERIC_SCORE),
      f(GENERIC_SECRET, "密码|口令|密钥", "(?:密码|口令|密钥)(?:是|为|：|:)\\s*([!-~&&[^,;]]{6,64})(?![!-~&&[^,;]])", 1,
          v -> passwordValue(v) && hasDigit(v), GENERIC_SCORE),
      f(GENERIC_SECRET, "<add", "<add\\s+key=\"[^\"]*(?i:password|passwd|pwd|secret|token|apikey|api_key)\"\\s+value=\"([^\"]+)\"", 1,
          SecretsGuard::passwordValue, GENERIC_SCORE));

  /**
   * Every family has a keyword: a family without one would run on every text and would have to be
   * listed here. {@link #ASSIGNMENT_KEYWORDS} covers the generic assignment scan: each {@link
   * #SECRET_KEY_NAME} alternative ends in one of these names, and every assignment operator has
   * {@code =} or {@code :}.
   */
  private static final String ASSIGNMENT_KEYWORDS = "pass|pwd|secret|token|key|credential|pat&=|:";

  /** Assignment of a value to a name: {@code key = value}, {@code "key": "value"}, {@code key => 'v'}... */
  private static final Pattern ASSIGNMENT = Pattern.compile(
      "(?<![\\w.-])[\"']?([A-Za-z_][A-Za-z0-9_.-]{0,63})[\"']?\\s*(=>|:=|===|==|!=|=|:)\\s*");

  private static final Pattern QUOTED_OR_BARE = Pattern.compile(
      "\\G\\\\?(?:([\"'`])((?:(?!\\\\?\\1)[^\\n]){1,200})\\\\?\\1|([^\\s'\"`,;(){}\\[\\]<>]{1,200})(?=$|[\\s;,&'\"`)#}\\]]))",
      Pattern.MULTILINE);

  private static final Pattern SECRET_KEY_NAME = Pattern.compile(
      "(?i)(?:passw(?:or)?d|passwd|pwd|(?:^|[_.-])pass|secret|token|api[_-]?key|apikey|access[_-]?key|auth[_-]?key|private[_-]?key"
      + "|client[_-]?key|credentials?|license[_-]?key|signing[_-]?key|encryption[_-]?key|master[_-]?key|[_.-]key|^key"
      + "|(?:^|[_-])pat)$");
  private static final Pattern SECRET_KEY_WORD = Pattern.compile(
      "(?i)passw(?:or)?d|passwd|secret|token|api[_-]?key|apikey");
  private static final Pattern PASSWORD_KEY = Pattern.compile("(?i)passw(?:or)?d|passwd|pwd$|(?:^|[_.-])pass$|^pw$");
  private static final Pattern DOTTED_IDENTIFIER = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*(?:\\.[A-Za-z_$][A-Za-z0-9_$]*)+");
  private static final Pattern VARIABLE = Pattern.compile(
      "\\$\\w+|\\$\\{[^}]*}?|\\{\\{.*|%[A-Za-z_]+%|<[^>]*>?|\\[[^\\]]*]?|\\$\\(.*|@\\w+@?|(?i:env|getenv|process\\.env).*");
  private static final Pattern WORDS_ONLY = Pattern.compile("[A-Za-z]+(?:[_\\-. ][A-Za-z]+)*");
  private static final Set<String> PLACEHOLDERS = Set.of(
      "password", "passwd", "pass", "pwd", "token", "changeme", "change_me", "changeit", "admin", "root",
      "test", "testing", "default", "none", "null", "nil", "true", "false", "undefined", "empty", "required",
      "optional", "string", "value", "foo", "bar", "foobar", "123456", "1234567", "12345678", "123456789",
      "qwerty", "letmein", "abc123", "mypassword", "yourpassword", "your_password", "my_password", "p@ssw0rd",
      "password1", "password123", "secret123", "apikey", "api_key", "your_api_key", "yourapikey", "todo", "tbd",
      "replace_me", "replaceme", "sample", "example", "hunter2", "guest", "user", "username");

  private static final KeywordScanner KEYWORDS;
  private static final KeywordScanner.Condition[] FAMILY_KEYWORDS = new KeywordScanner.Condition[FAMILIES.size()];
  private static final KeywordScanner.Condition ASSIGNMENT_KEYWORD;

  static {
    KeywordScanner.Builder keywords = new KeywordScanner.Builder();
    for (int i = 0; i < FAMILIES.size(); i++) {
      Family family = FAMILIES.get(i);
      FAMILY_KEYWORDS[i] = keywords.condition(family.keywords(), !family.pattern().pattern().startsWith("(?i)"));
    }
    ASSIGNMENT_KEYWORD = keywords.condition(ASSIGNMENT_KEYWORDS, false);
    KEYWORDS = keywords.build();
  }

  private final String name;
  private final Set<String> labels;

  private SecretsGuard(String name, Set<String> labels) {
    this.name = name;
    this.labels = labels;
  }

  private static Family f(String label, String keywords, String regex) {
    return f(label, keywords, regex, 0, v -> true, 1.0);
  }

  private static Family f(String label, String keywords, String regex, int group, Predicate<String> valid,
      double score) {
    return new Family(label, keywords, Pattern.compile(regex), group, valid, score);
  }

  /** Every label this guard can report, in a stable order. */
  public static List<String> allLabels() {
    List<String> all = new ArrayList<>();
    for (Family family : FAMILIES) {
      if (!all.contains(family.label())) {
        all.add(family.label());
      }
    }
    if (!all.contains(GENERIC_SECRET)) {
      all.add(GENERIC_SECRET);
    }
    return List.copyOf(all);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<Finding> inspect(Segment segment) {
    return inspect(segment.normalized(), true);
  }

  /**
   * With {@code prefilter} false every family runs whatever keywords occur; tests compare both ways
   * to show the keywords lose nothing.
   */
  List<Finding> inspect(NormalizedText nt, boolean prefilter) {
    String text = nt.text();
    BitSet seen = prefilter ? KEYWORDS.scan(text) : null;
    List<Finding> found = new ArrayList<>();
    for (int i = 0; i < FAMILIES.size(); i++) {
      Family family = FAMILIES.get(i);
      if (!labels.contains(family.label()) || prefilter && !FAMILY_KEYWORDS[i].test(seen)) {
        continue;
      }
      Matcher m = family.pattern().matcher(text);
      while (m.find()) {
        String value = m.group(family.group());
        if (value == null || !family.valid().test(value)) {
          continue;
        }
        found.add(RuleSupport.finding(name, Categories.SECRET, family.label(), family.score(), nt,
            m.start(family.group()), m.end(family.group())));
      }
    }
    if (labels.contains(GENERIC_SECRET) && (!prefilter || ASSIGNMENT_KEYWORD.test(seen))) {
      findAssignments(nt, found);
    }
    return RuleSupport.dropOverlaps(found);
  }

  static int familyCount() {
    return FAMILIES.size();
  }

  /**
   * For each match of family {@code index} in {@code text} that its check accepts: whether the
   * family's keywords occur inside the matched span itself, which is what makes skipping the family
   * on texts without them safe.
   */
  static List<Boolean> keywordsInsideMatches(int index, String text) {
    Family family = FAMILIES.get(index);
    List<Boolean> result = new ArrayList<>();
    Matcher m = family.pattern().matcher(text);
    while (m.find()) {
      String value = m.group(family.group());
      if (value != null && family.valid().test(value)) {
        result.add(FAMILY_KEYWORDS[index].test(KEYWORDS.scan(m.group())));
      }
    }
    return result;
  }

  /**
   * Like {@link #keywordsInsideMatches} for the assignments the generic scan reports, from the key
   * name to the end of the value; for texts that normalisation leaves unchanged.
   */
  static List<Boolean> assignmentKeywordsInsideMatches(String text) {
    List<Finding> found = new ArrayList<>();
    new SecretsGuard("test", Set.of(GENERIC_SECRET)).findAssignments(NormalizedText.of(text), found);
    List<Boolean> result = new ArrayList<>();
    Matcher m = ASSIGNMENT.matcher(text);
    for (Finding f : found) {
      int start = 0;
      while (m.find()) {
        if (m.end() <= f.start()) {
          start = m.start();
        } else {
          break;
        }
      }
      m.reset();
      result.add(ASSIGNMENT_KEYWORD.test(KEYWORDS.scan(text.substring(start, f.end()))));
    }
    return result;
  }

  private void findAssignments(NormalizedText nt, List<Finding> found) {
    String text = nt.text();
    Matcher m = ASSIGNMENT.matcher(text);
    Matcher value = QUOTED_OR_BARE.matcher(text);
    while (m.find()) {
      String key = m.group(1);
      if (!SECRET_KEY_NAME.matcher(key).find()) {
        continue;
      }
      int valueStart = m.end();
      value.region(valueStart, text.length());
      if (!value.lookingAt()) {
        continue;
      }
      boolean quoted = value.group(2) != null;
      int g = quoted ? 2 : 3;
      String v = value.group(g);
      if (!quoted && (m.group(2).length() > 1 && m.group(2).charAt(1) == '='
          || valueStart + v.length() < text.length() && text.charAt(valueStart + v.length()) == '(')) {
        // A bare word compared with == or followed by ( is a variable or a call, not a literal.
        continue;
      }
      if (isGenericSecret(key, v, quoted)) {
        found.add(RuleSupport.finding(name, Categories.SECRET, GENERIC_SECRET, GENERIC_SCORE, nt,
            value.start(g), value.end(g)));
      }
    }
  }

  /**
   * Whether {@code value}, assigned to the secret-sounding {@code key}, is a real secret. Passwords
   * are chosen by people, so a password key accepts any non-placeholder word of five or more
   * characters; token and key names also label ordinary settings ({@code sort_key}, {@code
   * cache_key}), so their values must look random: long, high entropy, and not plain words.
   */
  static boolean isGenericSecret(String key, String value, boolean quoted) {
    if (isPlaceholder(value) || value.indexOf(' ') >= 0) {
      return false;
    }
    if (!quoted && DOTTED_IDENTIFIER.matcher(value).matches()) {
      return false;
    }
    String lowerValue = value.toLowerCase(Locale.ROOT);
    if (SECRET_KEY_WORD.matcher(lowerValue).find() && lowerValue.length() < 24) {
      return false;
    }
    double h = RuleSupport.entropy(value);
    if (PASSWORD_KEY.matcher(key).find()) {
      return value.length() >= 5 && h >= 2.0;
    }
    if (value.length() < 8 || h < 3.0) {
      return false;
    }
    if (WORDS_ONLY.matcher(value).matches() && value.length() < 24) {
      return false;
    }
    return hasDigit(value) || value.length() >= 16;
  }

  /** Template variables, masks and obvious stand-ins rather than real values. */
  static boolean isPlaceholder(String value) {
    String v = value.strip();
    if (v.isEmpty() || VARIABLE.matcher(v).matches()) {
      return true;
    }
    String lower = v.toLowerCase(Locale.ROOT);
    if (PLACEHOLDERS.contains(lower) || lower.contains("your") || lower.contains("example") || lower.contains("xxxx")
        || lower.contains("placeholder") || lower.contains("redacted") || lower.contains("dummy")
        || lower.contains("***") || lower.contains("...") || lower.contains("changeme")) {
      return true;
    }
    return v.chars().distinct().count() <= 2;
  }

  private static boolean passwordValue(String v) {
    return !isPlaceholder(v) && v.length() >= 5 && RuleSupport.entropy(v) >= 2.0;
  }

  private static boolean tokenValue(String v) {
    return !isPlaceholder(v) && !DOTTED_IDENTIFIER.matcher(v).matches() && v.length() >= 10
        && RuleSupport.entropy(v) >= 3.0 && (hasDigit(v) || v.length() >= 20);
  }

  private static boolean urlPassword(String url) {
    int authority = url.indexOf("://") + 3;
    int slash = url.indexOf('/', authority);
    int at = url.lastIndexOf('@', slash < 0 ? url.length() : slash);
    int colon = url.indexOf(':', authority);
    if (at < 0 || colon < 0 || colon > at) {
      return false;
    }
    String password = url.substring(colon + 1, at);
    int innerAt = password.indexOf('@');
    if (innerAt >= 0 && password.indexOf(':') > innerAt) {
      // Several user:password@host pairs (PostgreSQL multi-host URLs): judge the first.
      password = password.substring(0, innerAt);
    }
    return !isPlaceholder(password) && !password.equalsIgnoreCase("pass");
  }

  private static boolean jwtHeader(String token) {
    String header = decodeBase64(token.substring(0, token.indexOf('.')));
    return header != null && header.contains("\"alg\"");
  }

  private static boolean base64PemPrivateKey(String b64) {
    String head = decodeBase64(b64.substring(0, Math.min(b64.length(), 80) / 4 * 4));
    return head != null && head.contains("PRIVATE KEY");
  }

  private static boolean basicCredentials(String b64) {
    String decoded = decodeBase64(b64);
    if (decoded == null) {
      return false;
    }
    int colon = decoded.indexOf(':');
    return colon > 0 && colon < decoded.length() - 1 && !isPlaceholder(decoded.substring(colon + 1));
  }

  /** Lenient base64 / base64url decoding into Latin-1 text; null when it is not base64 at all. */
  private static String decodeBase64(String s) {
    String std = s.replace('-', '+').replace('_', '/');
    int pad = std.indexOf('=');
    if (pad >= 0) {
      std = std.substring(0, pad);
    }
    std = std.substring(0, std.length() - (std.length() % 4 == 1 ? 1 : 0));
    try {
      return new String(Base64.getDecoder().decode(std + "==".substring(0, (4 - std.length() % 4) % 4)),
          StandardCharsets.ISO_8859_1);
    } catch (IllegalArgumentException notBase64) {
      return null;
    }
  }

  private static boolean hasDigit(String s) {
    return s.chars().anyMatch(c -> c >= '0' && c <= '9');
  }

  private static boolean hasUpper(String s) {
    return s.chars().anyMatch(c -> c >= 'A' && c <= 'Z');
  }

  /**
   * Configuration of the {@code secrets} guard.
   *
   * @param labels the labels to report (default: all); an unknown label is an error listing the
   *     valid ones
   */
  public record Config(@JsonProperty("labels") List<String> labels) {
    public Config {
      RuleSupport.checkedSubset("labels", labels, allLabels());
      labels = labels == null ? null : List.copyOf(labels);
    }
  }

  /** Creates {@link SecretsGuard}s for policy entries {@code guard: secrets}. */
  public static final class Factory extends SimpleGuardFactory<Config> {
    /** Used by {@link java.util.ServiceLoader}. */
    public Factory() {
      super("secrets", Config.class);
    }

    @Override
    public Guard create(Config config, GuardContext context) {
      Config c = config == null ? new Config(null) : config;
      return new SecretsGuard(context.name(), RuleSupport.checkedSubset("labels", c.labels(), allLabels()));
    }
  }
}

package dev.modelguard.guard;

import java.util.List;

/** The fixed vocabulary of finding categories (SPEC section 6). Guards must use only these. */
public final class Categories {
  public static final String PROMPT_INJECTION = "prompt_injection";
  public static final String JAILBREAK = "jailbreak";
  public static final String HARMFUL = "harmful";
  public static final String TOXICITY = "toxicity";
  public static final String PII = "pii";
  public static final String SECRET = "secret";
  public static final String INVISIBLE_TEXT = "invisible_text";
  public static final String BANNED_SUBSTRING = "banned_substring";
  public static final String REGEX = "regex";
  public static final String BANNED_TOPIC = "banned_topic";
  public static final String SYSTEM_PROMPT_LEAK = "system_prompt_leak";
  public static final String MALICIOUS_URL = "malicious_url";
  public static final String LANGUAGE = "language";
  public static final String TOKEN_LIMIT = "token_limit";

  public static final List<String> ALL = List.of(
      PROMPT_INJECTION, JAILBREAK, HARMFUL, TOXICITY, PII, SECRET, INVISIBLE_TEXT,
      BANNED_SUBSTRING, REGEX, BANNED_TOPIC, SYSTEM_PROMPT_LEAK, MALICIOUS_URL, LANGUAGE, TOKEN_LIMIT);

  private Categories() {}
}

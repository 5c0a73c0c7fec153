package dev.modelguard.policy;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.modelguard.config.InvalidKeyException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A policy file (SPEC section 7) as written, before {@code extends} is resolved and before its
 * guards are created. Keys that are absent are null here, so a child can tell "not set, inherit"
 * from "set to the default"; {@link PolicyCompiler} applies the defaults (enforce, on_error block,
 * budget_ms 100, block_status 400, audit text redacted).
 *
 * <p>Immutable; invariants are checked on construction and reported as {@link InvalidKeyException}
 * naming the key.
 *
 * @param version file format version; must be 1
 * @param name the policy's name, {@code [a-z0-9][a-z0-9_-]*}; routes and tenants refer to it
 * @param extendsName the parent policy's name, or null
 * @param mode enforce or monitor, or null
 * @param onError what a guard failure means, or null
 * @param budgetMs time budget of the guards in milliseconds (> 0), or null
 * @param blockStatus HTTP status of a block in [400, 499], or null
 * @param prompt entries run on prompts, in order, or null when the key is absent
 * @param response entries run on responses, in order, or null when the key is absent
 * @param audit audit settings, or null
 * @param streaming the {@code streaming:} block, or null
 */
public record PolicyFile(
    int version,
    String name,
    String extendsName,
    Mode mode,
    OnError onError,
    Long budgetMs,
    Integer blockStatus,
    List<GuardEntry> prompt,
    List<GuardEntry> response,
    AuditSettings audit,
    Streaming.Settings streaming) {

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]*");

  public PolicyFile {
    if (version != 1) {
      throw new InvalidKeyException("version", "unsupported version " + version + " (valid: 1)");
    }
    if (name == null) {
      throw new InvalidKeyException("name", "is required (the policy's name, e.g. name: default)");
    }
    checkName("name", name);
    if (extendsName != null) {
      checkName("extends", extendsName);
      if (extendsName.equals(name)) {
        throw new InvalidKeyException("extends", "a policy cannot extend itself");
      }
    }
    if (budgetMs != null && budgetMs <= 0) {
      throw new InvalidKeyException("budget_ms", "must be > 0, was " + budgetMs);
    }
    if (blockStatus != null && (blockStatus < 400 || blockStatus > 499)) {
      throw new InvalidKeyException("block_status", "must be in [400, 499], was " + blockStatus);
    }
    prompt = checkedList("prompt", prompt);
    response = checkedList("response", response);
  }

  @JsonCreator
  static PolicyFile fromYaml(
      @JsonProperty("version") Integer version,
      @JsonProperty("name") String name,
      @JsonProperty("extends") String extendsName,
      @JsonProperty("mode") Mode mode,
      @JsonProperty("on_error") OnError onError,
      @JsonProperty("budget_ms") Long budgetMs,
      @JsonProperty("block_status") Integer blockStatus,
      @JsonProperty("prompt") List<GuardEntry> prompt,
      @JsonProperty("response") List<GuardEntry> response,
      @JsonProperty("audit") AuditSettings audit,
      @JsonProperty("streaming") Streaming.Settings streaming) {
    if (version == null) {
      throw new InvalidKeyException("version", "is required (write version: 1)");
    }
    return new PolicyFile(version, name, extendsName, mode, onError, budgetMs, blockStatus, prompt, response, audit,
        streaming);
  }

  /**
   * This file applied on top of {@code parent}: scalar keys set here win; the parent's
   * {@code prompt}/{@code response} entries are kept in order, an entry here with the same
   * {@code name} replaces the parent's in place, and new entries are appended. The result has no
   * {@code extends}.
   */
  public PolicyFile over(PolicyFile parent) {
    AuditSettings mergedAudit = audit != null && audit.text() != null ? audit : parent.audit();
    return new PolicyFile(version, name, null,
        mode != null ? mode : parent.mode(),
        onError != null ? onError : parent.onError(),
        budgetMs != null ? budgetMs : parent.budgetMs(),
        blockStatus != null ? blockStatus : parent.blockStatus(),
        merge(parent.prompt(), prompt), merge(parent.response(), response), mergedAudit,
        Streaming.Settings.over(streaming, parent.streaming()));
  }

  private static List<GuardEntry> merge(List<GuardEntry> parent, List<GuardEntry> child) {
    if (parent == null) {
      return child;
    }
    List<GuardEntry> out = new ArrayList<>(parent);
    if (child != null) {
      for (GuardEntry e : child) {
        int at = -1;
        for (int i = 0; i < out.size(); i++) {
          if (out.get(i).name().equals(e.name())) {
            at = i;
          }
        }
        if (at >= 0) {
          out.set(at, e);
        } else {
          out.add(e);
        }
      }
    }
    return out;
  }

  private static void checkName(String key, String value) {
    if (!NAME.matcher(value).matches()) {
      throw new InvalidKeyException(key, "not a policy name: '" + value + "' (lowercase letters, digits, _ and -)");
    }
  }

  private static List<GuardEntry> checkedList(String key, List<GuardEntry> entries) {
    if (entries == null) {
      return null;
    }
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < entries.size(); i++) {
      GuardEntry e = entries.get(i);
      if (e == null) {
        throw new InvalidKeyException(key + "[" + i + "]", "is empty (write {guard: TYPE})");
      }
      Integer before = seen.putIfAbsent(e.name(), i);
      if (before != null) {
        String at = key + "[" + i + "]" + (e.written("name") ? ".name" : ".guard");
        throw new InvalidKeyException(at, "duplicate guard name '" + e.name() + "' (also " + key + "[" + before
            + "]); give one of them a distinct name: to use a guard twice");
      }
    }
    return List.copyOf(entries);
  }

  /**
   * The policy's {@code audit:} block.
   *
   * @param text how much text audit events keep, or null (then redacted)
   */
  public record AuditSettings(AuditText text) {
    @JsonCreator
    static AuditSettings fromYaml(@JsonProperty("text") AuditText text) {
      return new AuditSettings(text);
    }
  }
}

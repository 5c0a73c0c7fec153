package dev.modelguard.audit;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The byte-exact hash chain shared by the writer and the verifier. A chained line is the event's
 * compact JSON with {@code ,"prev":"sha256:<hex>"} and then {@code ,"hash":"sha256:<hex>"} inserted
 * before the closing brace, where the hash covers the line's UTF-8 bytes up to (excluding)
 * {@code ,"hash":}. Hashing the bytes as written, instead of a re-serialised form, means no JSON
 * canonicalisation is needed and any change to the bytes is detected.
 *
 * <p>Stateless and thread-safe.
 */
final class HashChain {
  static final String GENESIS = "sha256:" + "0".repeat(64);

  private static final byte[] PREV_KEY = ",\"prev\":\"".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] HASH_KEY = ",\"hash\":\"".getBytes(StandardCharsets.US_ASCII);
  private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
  private static final HexFormat HEX = HexFormat.of();

  /** Writes events; reads lines strictly (duplicate keys or trailing garbage are tampering). */
  static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** A line ready to append (without its newline) and its hash, the next line's prev. */
  record Chained(byte[] line, String hash) {}

  /** What a line that passed {@link #check} claims. */
  record Checked(String prev, String hash) {}

  /** Why a line is not a valid chained line; the message is the reason shown to users. */
  static final class BadLine extends Exception {
    BadLine(String reason) {
      super(reason, null, false, false);
    }
  }

  private HashChain() {}

  /** Chains {@code eventJson} (a compact JSON object, as {@link #MAPPER} writes it) to {@code prev}. */
  static Chained chain(byte[] eventJson, String prev) {
    // An empty object would yield "{,": events always have required fields, so it means a bug.
    if (eventJson.length < 3 || eventJson[0] != '{' || eventJson[eventJson.length - 1] != '}') {
      throw new IllegalArgumentException("not a non-empty JSON object");
    }
    byte[] prevBytes = prev.getBytes(StandardCharsets.US_ASCII);
    int body = eventJson.length - 1;
    int prefixLen = body + PREV_KEY.length + prevBytes.length + 1;
    byte[] line = new byte[prefixLen + HASH_KEY.length + GENESIS.length() + 2];
    System.arraycopy(eventJson, 0, line, 0, body);
    int at = body;
    System.arraycopy(PREV_KEY, 0, line, at, PREV_KEY.length);
    at += PREV_KEY.length;
    System.arraycopy(prevBytes, 0, line, at, prevBytes.length);
    at += prevBytes.length;
    line[at++] = '"';
    String hash = digest(line, prefixLen);
    System.arraycopy(HASH_KEY, 0, line, at, HASH_KEY.length);
    at += HASH_KEY.length;
    byte[] hashBytes = hash.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(hashBytes, 0, line, at, hashBytes.length);
    at += hashBytes.length;
    line[at++] = '"';
    line[at++] = '}';
    return new Chained(line, hash);
  }

  /**
   * Checks that {@code line[0, len)} is a well-formed chained line whose hash matches its bytes.
   * Whether its prev matches the line before is the caller's business.
   */
  static Checked check(byte[] line, int len) throws BadLine {
    if (len == 0) {
      throw new BadLine("not valid JSON (empty line)");
    }
    try {
      StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(line, 0, len));
    } catch (CharacterCodingException e) {
      throw new BadLine("not valid UTF-8");
    }
    JsonNode node;
    try {
      node = MAPPER.readTree(line, 0, len);
    } catch (JsonProcessingException e) {
      throw new BadLine("not valid JSON (" + e.getOriginalMessage() + ")");
    } catch (java.io.IOException e) {
      throw new BadLine("not valid JSON");
    }
    if (node == null || !node.isObject()) {
      throw new BadLine("not valid JSON (not an object)");
    }
    JsonNode hashNode = node.get("hash");
    if (hashNode == null || !hashNode.isTextual()) {
      throw new BadLine("missing hash");
    }
    JsonNode prevNode = node.get("prev");
    if (prevNode == null || !prevNode.isTextual()) {
      throw new BadLine("missing prev");
    }
    String hash = hashNode.textValue();
    String prev = prevNode.textValue();
    if (!DIGEST.matcher(hash).matches()) {
      throw new BadLine("malformed hash (expected sha256:<64 hex digits>)");
    }
    if (!DIGEST.matcher(prev).matches()) {
      throw new BadLine("malformed prev (expected sha256:<64 hex digits>)");
    }
    // In valid JSON an unescaped `,"hash":"` cannot occur inside a string, so the last one is the
    // field itself; it must also be the last field, or bytes after it would be unprotected.
    int hashAt = lastIndexOf(line, len, HASH_KEY);
    byte[] tail = (",\"hash\":\"" + hash + "\"}").getBytes(StandardCharsets.US_ASCII);
    if (hashAt < 0 || len - hashAt != tail.length
        || !Arrays.equals(line, hashAt, len, tail, 0, tail.length)) {
      throw new BadLine("hash is not the last field");
    }
    if (!digest(line, hashAt).equals(hash)) {
      throw new BadLine("hash mismatch (line was changed)");
    }
    return new Checked(prev, hash);
  }

  private static String digest(byte[] bytes, int len) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(bytes, 0, len);
      return "sha256:" + HEX.formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform must provide SHA-256", e);
    }
  }

  private static int lastIndexOf(byte[] haystack, int len, byte[] needle) {
    outer:
    for (int i = len - needle.length; i >= 0; i--) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}

package dev.modelguard.audit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * Checks a JSONL audit log written by {@link JsonlAuditSink}: every line's hash must match its
 * bytes and every line's prev must equal the hash of the line before (the first line's prev is
 * {@code sha256:} and 64 zeros). A changed line fails its own hash; a removed, inserted or
 * reordered line breaks the prev link of the line after the gap. Stops at the first bad line.
 *
 * <p>Streams the file, holding one line at a time (lines longer than {@link #MAX_LINE_BYTES} are
 * reported as bad rather than read). Stateless and thread-safe.
 *
 * <p>What it cannot detect: lines cut off the end of the file together with their newline (the
 * remaining prefix is a valid chain). Compare {@link Result#linesVerified()} or the last hash with
 * a copy kept elsewhere for that.
 */
public final class AuditVerifier {
  /** Longest line accepted: far above any real event, low enough to bound memory on a hostile file. */
  public static final int MAX_LINE_BYTES = 64 * 1024 * 1024;

  /**
   * The outcome of a verification.
   *
   * @param linesVerified lines whose hash and link were checked and found good (all of them when
   *     {@link #ok()}, else those before {@code badLine})
   * @param badLine the 1-based number of the first bad line, or 0 when the chain is intact
   * @param reason why that line is bad ({@code hash mismatch (line was changed)}), or null when
   *     the chain is intact
   */
  public record Result(long linesVerified, long badLine, String reason) {
    /** Keeps the two states apart: either a bad line with its reason, or neither. */
    public Result {
      if ((badLine == 0) != (reason == null)) {
        throw new IllegalArgumentException("badLine and reason go together");
      }
    }

    /** True when every line verified and the chain is unbroken. */
    public boolean ok() {
      return badLine == 0;
    }

    /** {@code line 7: hash mismatch (line was changed)}, or {@code OK, N events, chain intact}. */
    public String describe() {
      return ok() ? "OK, " + linesVerified + " events, chain intact" : "line " + badLine + ": " + reason;
    }
  }

  /**
   * Verifies {@code file}.
   *
   * @return the result; a tampered or damaged file is a result, not an exception
   * @throws IOException if the file cannot be read (missing, unreadable, a directory)
   */
  public Result verify(Path file) throws IOException {
    Objects.requireNonNull(file, "file");
    try (InputStream in = Files.newInputStream(file)) {
      LineReader lines = new LineReader(in);
      String expectedPrev = HashChain.GENESIS;
      long number = 0;
      while (lines.next()) {
        number++;
        if (lines.tooLong) {
          return new Result(number - 1, number, "longer than " + MAX_LINE_BYTES + " bytes, not an audit event");
        }
        HashChain.Checked checked;
        try {
          checked = HashChain.check(lines.buf, lines.len);
        } catch (HashChain.BadLine e) {
          return new Result(number - 1, number, e.getMessage());
        }
        if (!checked.prev().equals(expectedPrev)) {
          String reason = number == 1
              ? "prev is not the chain's start value (lines were removed from the start of the file)"
              : "prev does not match line " + (number - 1) + "'s hash (a line was removed or reordered before it)";
          return new Result(number - 1, number, reason);
        }
        expectedPrev = checked.hash();
      }
      return new Result(number, 0, null);
    }
  }

  /**
   * Splits a stream into {@code \n}-terminated lines as raw bytes, since the hash covers the exact
   * bytes and decoding first could hide a change. A final line without a newline is still a line.
   */
  private static final class LineReader {
    private final InputStream in;
    private final byte[] chunk = new byte[64 * 1024];
    private int chunkPos;
    private int chunkLen;
    byte[] buf = new byte[8192];
    int len;
    boolean tooLong;

    LineReader(InputStream in) {
      this.in = in;
    }

    boolean next() throws IOException {
      len = 0;
      tooLong = false;
      boolean any = false;
      while (true) {
        if (chunkPos == chunkLen) {
          chunkLen = in.read(chunk);
          chunkPos = 0;
          if (chunkLen < 0) {
            chunkLen = 0;
            return any;
          }
        }
        any = true;
        int start = chunkPos;
        int end = start;
        while (end < chunkLen && chunk[end] != '\n') {
          end++;
        }
        append(start, end - start);
        if (end < chunkLen) {
          chunkPos = end + 1;
          return true;
        }
        chunkPos = chunkLen;
      }
    }

    private void append(int from, int n) {
      if (tooLong || n == 0) {
        return;
      }
      if ((long) len + n > MAX_LINE_BYTES) {
        tooLong = true;
        return;
      }
      if (len + n > buf.length) {
        buf = Arrays.copyOf(buf, (int) Math.min(Math.max((long) buf.length * 2, len + n), MAX_LINE_BYTES));
      }
      System.arraycopy(chunk, from, buf, len, n);
      len += n;
    }
  }
}

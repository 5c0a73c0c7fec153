package dev.modelguard.audit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
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
   *     {@link #ok()}, else those before {@code badLine}), over all files
   * @param badLine the 1-based number of the first bad line within {@code badFile}, or 0 when the
   *     chain is intact
   * @param reason why that line is bad ({@code hash mismatch (line was changed)}), or null when
   *     the chain is intact
   * @param badFile the file holding the bad line, or null when the chain is intact
   * @param files how many files were read
   * @param startsAfter null when the chain starts at its start value; else the prev of the first
   *     line, because the first file is a rotated file whose predecessors are gone (retention)
   * @param tornBytes bytes after the last newline of the last file: a write cut short by a crash
   *     (never a complete, acknowledged event); 0 when the log ends with a newline. The chain
   *     before them is what {@link #ok()} is about.
   */
  public record Result(long linesVerified, long badLine, String reason, Path badFile, int files,
      String startsAfter, long tornBytes) {
    /** Keeps the two states apart: either a bad line with its reason, or neither. */
    public Result {
      if ((badLine == 0) != (reason == null)) {
        throw new IllegalArgumentException("badLine and reason go together");
      }
    }

    /** A single-file result. */
    public Result(long linesVerified, long badLine, String reason) {
      this(linesVerified, badLine, reason, null, 1, null, 0);
    }

    /** True when every line verified and the chain is unbroken. */
    public boolean ok() {
      return badLine == 0;
    }

    /** {@code line 7: hash mismatch (line was changed)}, or {@code OK, N events, chain intact}. */
    public String describe() {
      if (!ok()) {
        return "line " + badLine + ": " + reason;
      }
      return "OK, " + linesVerified + " events" + (files > 1 ? " in " + files + " files" : "") + ", chain intact"
          + (startsAfter == null ? "" : " (starts after " + startsAfter
              + ": the files before the first one were removed, e.g. by retention)")
          + (tornBytes == 0 ? "" : "; WARNING: the last line is torn (" + tornBytes + " bytes without a newline:"
              + " a write cut short by a crash, not an event; the gateway moves it aside when it restarts)");
    }
  }

  /**
   * Verifies {@code file} alone: its first line must start the chain.
   *
   * @return the result; a tampered or damaged file is a result, not an exception
   * @throws IOException if the file cannot be read (missing, unreadable, a directory)
   */
  public Result verify(Path file) throws IOException {
    return verify(List.of(file));
  }

  /**
   * Verifies {@code files} as one chain, in the given order (oldest first, as
   * {@link AuditFiles#expand} lists them): the first line of each file must link to the last line
   * of the file before. The first line of the first file must start the chain, unless that file is
   * a rotated file, whose predecessors retention may have deleted; then the start is reported in
   * {@link Result#startsAfter()}.
   *
   * @return the result; a tampered or damaged file is a result, not an exception
   * @throws IOException if a file cannot be read (missing, unreadable, a directory)
   */
  public Result verify(List<Path> files) throws IOException {
    Objects.requireNonNull(files, "files");
    String expectedPrev = null;
    String startsAfter = null;
    long total = 0;
    Path previous = null;
    long torn = 0;
    for (int f = 0; f < files.size(); f++) {
      Path file = files.get(f);
      try (InputStream in = Files.newInputStream(file)) {
        LineReader lines = new LineReader(in);
        long number = 0;
        while (lines.next()) {
          number++;
          if (!lines.terminated) {
            if (f < files.size() - 1) {
              return bad(total, number, "torn line (no newline) before the end of the log: a later file"
                  + " does not continue this one", file, files);
            }
            torn = lines.len;
            break;
          }
          if (lines.tooLong) {
            return bad(total, number, "longer than " + MAX_LINE_BYTES + " bytes, not an audit event", file, files);
          }
          HashChain.Checked checked;
          try {
            checked = HashChain.check(lines.buf, lines.len);
          } catch (HashChain.BadLine e) {
            return bad(total, number, e.getMessage(), file, files);
          }
          if (expectedPrev == null) {
            if (!checked.prev().equals(HashChain.GENESIS)) {
              if (!AuditFiles.isRotated(file)) {
                return bad(total, number,
                    "prev is not the chain's start value (lines were removed from the start of the file)", file, files);
              }
              startsAfter = checked.prev();
            }
          } else if (!checked.prev().equals(expectedPrev)) {
            String reason = number == 1
                ? "prev does not match the last line of " + previous.getFileName()
                    + " (a file is missing, out of order or was cut short)"
                : "prev does not match line " + (number - 1) + "'s hash (a line was removed or reordered before it)";
            return bad(total, number, reason, file, files);
          }
          expectedPrev = checked.hash();
          total++;
        }
        if (number > 0) {
          previous = file;
        }
      }
    }
    return new Result(total, 0, null, null, files.size(), startsAfter, torn);
  }

  private static Result bad(long verified, long line, String reason, Path file, List<Path> files) {
    return new Result(verified, line, reason, file, files.size(), null, 0);
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
    /** Whether the line just read ended with a newline (false only for a final, torn line). */
    boolean terminated;

    LineReader(InputStream in) {
      this.in = in;
    }

    boolean next() throws IOException {
      len = 0;
      tooLong = false;
      terminated = false;
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
          terminated = true;
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

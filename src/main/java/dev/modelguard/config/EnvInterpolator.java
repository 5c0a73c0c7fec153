package dev.modelguard.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Replaces {@code ${VAR}} and {@code ${VAR:-default}} in a config file's raw text before it is
 * parsed, so that line numbers in later errors still match the file. {@code $${} is a literal
 * {@code ${}. References inside YAML comments are left alone, so a commented-out example does not
 * demand its variables.
 *
 * <p>Every problem is collected; the result is returned only when there is none.
 */
final class EnvInterpolator {
  private EnvInterpolator() {}

  /**
   * @throws ConfigException listing every unset variable (without default) and malformed
   *     reference, each as {@code FILE:LINE:COL: message}
   */
  static String interpolate(String text, Map<String, String> env, String file) {
    StringBuilder out = new StringBuilder(text.length());
    List<String> errors = new ArrayList<>();
    int line = 1;
    int lineStart = 0;
    boolean comment = false;
    char quote = 0;
    int i = 0;
    int n = text.length();
    while (i < n) {
      char c = text.charAt(i);
      if (c == '\n') {
        line++;
        lineStart = i + 1;
        comment = false;
        quote = 0;
        out.append(c);
        i++;
        continue;
      }
      if (comment) {
        out.append(c);
        i++;
        continue;
      }
      if (quote != 0) {
        if (quote == '"' && c == '\\' && i + 1 < n) {
          out.append(c).append(text.charAt(i + 1));
          i += 2;
          continue;
        }
        if (c == quote) {
          quote = 0;
        }
      } else if (c == '#' && (i == lineStart || Character.isWhitespace(text.charAt(i - 1)))) {
        comment = true;
        out.append(c);
        i++;
        continue;
      } else if ((c == '"' || c == '\'') && startsScalar(text, lineStart, i)) {
        quote = c;
      }
      if (c == '$' && text.startsWith("$${", i)) {
        out.append("${");
        i += 3;
        continue;
      }
      if (c == '$' && text.startsWith("${", i)) {
        int col = i - lineStart + 1;
        int close = text.indexOf('}', i);
        int eol = text.indexOf('\n', i);
        if (close < 0 || (eol >= 0 && close > eol)) {
          errors.add(file + ":" + line + ":" + col + ": unterminated '${' (write $${ for a literal ${)");
          out.append(c);
          i++;
          continue;
        }
        String body = text.substring(i + 2, close);
        int sep = body.indexOf(":-");
        String name = sep < 0 ? body : body.substring(0, sep);
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
          errors.add(file + ":" + line + ":" + col + ": malformed variable reference '${" + body
              + "}' (write ${NAME} or ${NAME:-default}; $${ for a literal ${)");
        } else {
          String value = env.get(name);
          if (value == null && sep >= 0) {
            value = body.substring(sep + 2);
          }
          if (value == null) {
            errors.add(file + ":" + line + ":" + col + ": environment variable " + name
                + " is not set (write ${" + name + ":-} to allow empty)");
          } else {
            out.append(value);
          }
        }
        i = close + 1;
        continue;
      }
      out.append(c);
      i++;
    }
    if (!errors.isEmpty()) {
      throw new ConfigException(errors);
    }
    return out.toString();
  }

  /**
   * A quote opens a quoted scalar only where a scalar can begin (after indentation, {@code : },
   * {@code - }, {@code [}, {@code {} or {@code ,}); elsewhere, as in {@code it's}, it is a literal.
   */
  private static boolean startsScalar(String text, int lineStart, int i) {
    int k = i - 1;
    while (k >= lineStart && text.charAt(k) == ' ') {
      k--;
    }
    if (k < lineStart) {
      return true;
    }
    char prev = text.charAt(k);
    boolean spaced = k < i - 1;
    return prev == '[' || prev == '{' || prev == ',' || ((prev == ':' || prev == '-') && spaced);
  }
}

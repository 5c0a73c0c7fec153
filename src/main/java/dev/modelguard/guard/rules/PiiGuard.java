package dev.modelguard.guard.rules;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.modelguard.guard.Categories;
import dev.modelguard.guard.Finding;
import dev.modelguard.guard.Guard;
import dev.modelguard.guard.GuardContext;
import dev.modelguard.guard.SimpleGuardFactory;
import dev.modelguard.guard.NormalizedText;
import dev.modelguard.guard.Segment;
import java.math.BigInteger;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds personal data, category {@code pii}: e-mail addresses, phone numbers, Chinese mobile
 * numbers, payment cards (Luhn and issuer checked), Chinese resident ID numbers (region, birth date
 * and ISO 7064 check digit), UnionPay bank cards, IBANs (mod-97), IPv4/IPv6 addresses and US social
 * security numbers. Every label's numbers are validated, so random digit runs are not reported,
 * and a number must not be part of a longer run of ASCII letters or digits (Chinese text around
 * it is fine: it has no spaces).
 *
 * <p>All findings score 1.0. Where two entities cover the same characters the more specific one
 * (checked first: ID numbers before cards before phones) is reported. Patterns are compiled once;
 * {@link #inspect} keeps no state, is thread-safe, never blocks and never does DNS.
 */
public final class PiiGuard implements Guard {

  /** Every entity this guard knows, in the order they are checked. */
  public static final List<String> ENTITIES = List.of(
      "EMAIL", "CN_ID", "IBAN", "CN_BANK_CARD", "CREDIT_CARD", "US_SSN", "CN_MOBILE", "PHONE", "IPV6", "IPV4");

  /** Not inside a longer ASCII letter/digit run, nor the fraction part of a decimal number. */
  private static final String B = "(?<![0-9A-Za-z])(?<!\\d[.,])";
  private static final String E = "(?![0-9A-Za-z])";

  private static final Pattern EMAIL = Pattern.compile(
      "(?<![A-Za-z0-9._%+-])[A-Za-z0-9_%+-](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?@"
      + "(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])");
  private static final Pattern CN_ID_18 = Pattern.compile(
      B + "[1-9]\\d{5}(?:18|19|20)\\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\\d|3[01])\\d{3}[\\dXx]" + E);
  private static final Pattern CN_ID_15 = Pattern.compile(
      B + "[1-9]\\d{5}\\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\\d|3[01])\\d{3}" + E);
  private static final Pattern CARD = Pattern.compile(B + "\\d(?:[ -]?\\d){12,18}" + E);
  private static final Pattern US_SSN = Pattern.compile(
      "(?<![0-9A-Za-z-])(?!000|666|9\\d\\d)\\d{3}([- ])(?!00)\\d{2}\\1(?!0000)\\d{4}(?![0-9A-Za-z-])");
  private static final Pattern CN_MOBILE = Pattern.compile(
      "(?<![0-9A-Za-z+])(?:(?:\\+|00)?86[ -]?)?1[3-9]\\d(?:[ -]?\\d{4}){2}" + E);
  private static final Pattern PHONE_INTERNATIONAL = Pattern.compile(
      "(?<![0-9A-Za-z+])\\+[1-9]\\d{0,3}(?:[ .-]?\\(?\\d{1,5}\\)?){1,6}" + E);
  private static final Pattern PHONE_US = Pattern.compile(
      "(?<![0-9A-Za-z+(-])(?:1[ .-])?(?:\\(\\d{3}\\) ?|\\d{3}([ .-]))\\d{3}[ .-]\\d{4}(?![0-9A-Za-z-]|\\.\\d)");
  private static final Pattern PHONE_TRUNK = Pattern.compile(
      "(?<![0-9A-Za-z+.-])0\\d{1,4}[ /-]\\d{2,8}(?:[ -]\\d{2,4}){0,3}(?![0-9A-Za-z-]|\\.\\d)");
  private static final Pattern IPV4 = Pattern.compile(
      "(?<![0-9A-Za-z.\\-_])(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)"
      + "(?![0-9A-Za-z]|\\.\\d)");
  private static final Pattern IPV6 = Pattern.compile(
      "(?<![0-9A-Za-z:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\\d{1,3}\\.){3}\\d{1,3}|[0-9A-Fa-f]{1,4})?(?![0-9A-Za-z:]|\\.\\d)");
  private static final Pattern IBAN_START = Pattern.compile("(?<![A-Za-z0-9])([A-Z]{2})\\d{2}(?=[ ]?[A-Z0-9])");

  private static final Set<String> CN_PROVINCES = Set.of(
      "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43",
      "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "91");
  private static final int[] CN_ID_WEIGHTS = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  private static final String CN_ID_CHECK = "10X98765432";

  private static final Map<String, Integer> IBAN_LENGTHS = Map.ofEntries(
      Map.entry("AD", 24), Map.entry("AE", 23), Map.entry("AL", 28), Map.entry("AT", 20), Map.entry("AZ", 28),
      Map.entry("BA", 20), Map.entry("BE", 16), Map.entry("BG", 22), Map.entry("BH", 22), Map.entry("BR", 29),
      Map.entry("BY", 28), Map.entry("CH", 21), Map.entry("CR", 22), Map.entry("CY", 28), Map.entry("CZ", 24),
      Map.entry("DE", 22), Map.entry("DK", 18), Map.entry("DO", 28), Map.entry("EE", 20), Map.entry("EG", 29),
      Map.entry("ES", 24), Map.entry("FI", 18), Map.entry("FO", 18), Map.entry("FR", 27), Map.entry("GB", 22),
      Map.entry("GE", 22), Map.entry("GI", 23), Map.entry("GL", 18), Map.entry("GR", 27), Map.entry("GT", 28),
      Map.entry("HR", 21), Map.entry("HU", 28), Map.entry("IE", 22), Map.entry("IL", 23), Map.entry("IQ", 23),
      Map.entry("IS", 26), Map.entry("IT", 27), Map.entry("JO", 30), Map.entry("KW", 30), Map.entry("KZ", 20),
      Map.entry("LB", 28), Map.entry("LC", 32), Map.entry("LI", 21), Map.entry("LT", 20), Map.entry("LU", 20),
      Map.entry("LV", 21), Map.entry("MC", 27), Map.entry("MD", 24), Map.entry("ME", 22), Map.entry("MK", 19),
      Map.entry("MR", 27), Map.entry("MT", 31), Map.entry("MU", 30), Map.entry("NL", 18), Map.entry("NO", 15),
      Map.entry("PK", 24), Map.entry("PL", 28), Map.entry("PS", 29), Map.entry("PT", 25), Map.entry("QA", 29),
      Map.entry("RO", 24), Map.entry("RS", 22), Map.entry("SA", 24), Map.entry("SC", 31), Map.entry("SE", 24),
      Map.entry("SI", 19), Map.entry("SK", 24), Map.entry("SM", 27), Map.entry("ST", 25), Map.entry("SV", 28),
      Map.entry("TL", 23), Map.entry("TN", 24), Map.entry("TR", 26), Map.entry("UA", 29), Map.entry("VA", 22),
      Map.entry("VG", 24), Map.entry("XK", 20));

  private final String name;
  private final Set<String> entities;

  private PiiGuard(String name, Set<String> entities) {
    this.name = name;
    this.entities = entities;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<Finding> inspect(Segment segment) {
    NormalizedText nt = segment.normalized();
    String text = nt.text();
    // Every entity needs a minimum of ASCII digits or certain punctuation (the counts below are the
    // least any accepted match contains), and most texts have neither: counting them once lets
    // those texts skip the patterns.
    int digits = 0;
    int ats = 0;
    int colons = 0;
    int dots = 0;
    int pluses = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= '0' && c <= '9') {
        digits++;
      } else if (c == '@') {
        ats++;
      } else if (c == ':') {
        colons++;
      } else if (c == '.') {
        dots++;
      } else if (c == '+') {
        pluses++;
      }
    }
    List<Finding> found = new ArrayList<>();
    if (entities.contains("EMAIL") && ats > 0) {
      add(found, nt, "EMAIL", EMAIL.matcher(text), null);
    }
    if (entities.contains("CN_ID") && digits >= 15) {
      add(found, nt, "CN_ID", CN_ID_18.matcher(text), PiiGuard::validCnId18);
      add(found, nt, "CN_ID", CN_ID_15.matcher(text), PiiGuard::validCnId15);
    }
    if (entities.contains("IBAN") && digits >= 2) {
      findIbans(nt, found);
    }
    if ((entities.contains("CN_BANK_CARD") || entities.contains("CREDIT_CARD")) && digits >= 13) {
      findCards(nt, found);
    }
    if (entities.contains("US_SSN") && digits >= 9) {
      add(found, nt, "US_SSN", US_SSN.matcher(text), null);
    }
    if (entities.contains("CN_MOBILE") && digits >= 11) {
      add(found, nt, "CN_MOBILE", CN_MOBILE.matcher(text), null);
    }
    if (entities.contains("PHONE") && digits >= 8) {
      if (pluses > 0) {
        add(found, nt, "PHONE", PHONE_INTERNATIONAL.matcher(text), s -> digitCount(s) >= 8 && digitCount(s) <= 15);
      }
      if (digits >= 10) {
        add(found, nt, "PHONE", PHONE_US.matcher(text), null);
        add(found, nt, "PHONE", PHONE_TRUNK.matcher(text), s -> digitCount(s) >= 10 && digitCount(s) <= 12);
      }
    }
    if (entities.contains("IPV6") && colons >= 2) {
      add(found, nt, "IPV6", IPV6.matcher(text), PiiGuard::validIpv6);
    }
    if (entities.contains("IPV4") && digits >= 4 && dots >= 3) {
      add(found, nt, "IPV4", IPV4.matcher(text), PiiGuard::hostAddress);
    }
    return RuleSupport.dropOverlaps(found);
  }

  private void add(List<Finding> found, NormalizedText nt, String label, Matcher m,
      java.util.function.Predicate<String> valid) {
    while (m.find()) {
      if (valid == null || valid.test(m.group())) {
        found.add(RuleSupport.finding(name, Categories.PII, label, 1.0, nt, m.start(), m.end()));
      }
    }
  }

  private void findCards(NormalizedText nt, List<Finding> found) {
    Matcher m = CARD.matcher(nt.text());
    while (m.find()) {
      String digits = digitsOf(m.group());
      if (!luhn(digits)) {
        continue;
      }
      String label;
      if (digits.startsWith("62") && digits.length() >= 16 && entities.contains("CN_BANK_CARD")) {
        label = "CN_BANK_CARD";
      } else if (entities.contains("CREDIT_CARD") && plausibleIssuer(digits)) {
        label = "CREDIT_CARD";
      } else {
        continue;
      }
      found.add(RuleSupport.finding(name, Categories.PII, label, 1.0, nt, m.start(), m.end()));
    }
  }

  private void findIbans(NormalizedText nt, List<Finding> found) {
    String text = nt.text();
    Matcher m = IBAN_START.matcher(text);
    while (m.find()) {
      Integer length = IBAN_LENGTHS.get(m.group(1));
      if (length == null) {
        continue;
      }
      // Consume exactly the country's length, allowing single spaces between characters, so a
      // word after the IBAN is never swallowed into it.
      StringBuilder iban = new StringBuilder(length);
      int i = m.start();
      while (i < text.length() && iban.length() < length) {
        char c = text.charAt(i);
        if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
          iban.append(c);
        } else if (c != ' ' || i + 1 >= text.length() || text.charAt(i + 1) == ' ') {
          break;
        }
        i++;
      }
      boolean boundary = i >= text.length() || !Character.isLetterOrDigit(text.charAt(i)) || text.charAt(i) > 0x7f;
      if (iban.length() == length && boundary && mod97(iban.toString())) {
        found.add(RuleSupport.finding(name, Categories.PII, "IBAN", 1.0, nt, m.start(), i));
      }
    }
  }

  static boolean luhn(String digits) {
    int sum = 0;
    boolean dbl = false;
    for (int i = digits.length() - 1; i >= 0; i--) {
      int d = digits.charAt(i) - '0';
      if (dbl) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
      dbl = !dbl;
    }
    return sum % 10 == 0;
  }

  /** Issuer ranges of the major networks, so a Luhn-valid order number is not called a card. */
  private static boolean plausibleIssuer(String d) {
    int len = d.length();
    int two = Integer.parseInt(d.substring(0, 2));
    int three = Integer.parseInt(d.substring(0, 3));
    int four = Integer.parseInt(d.substring(0, 4));
    if (d.charAt(0) == '4') {
      return len == 13 || len == 16 || len == 19;
    }
    if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) {
      return len == 16;
    }
    if (two == 34 || two == 37) {
      return len == 15;
    }
    if (four == 6011 || two == 65 || (three >= 644 && three <= 649) || two == 62) {
      return len >= 16 && len <= 19;
    }
    if (four >= 3528 && four <= 3589) {
      return len >= 16 && len <= 19;
    }
    if (four == 2131 || four == 1800) {
      return len == 15;
    }
    if ((three >= 300 && three <= 305) || two == 36 || two == 38 || two == 39) {
      return len >= 14 && len <= 19;
    }
    if (two == 50 || (two >= 56 && two <= 69)) {
      return len >= 13 && len <= 19;
    }
    return false;
  }

  static boolean validCnId18(String id) {
    if (!CN_PROVINCES.contains(id.substring(0, 2)) || !validDate(id.substring(6, 14))) {
      return false;
    }
    int sum = 0;
    for (int i = 0; i < 17; i++) {
      sum += (id.charAt(i) - '0') * CN_ID_WEIGHTS[i];
    }
    return CN_ID_CHECK.charAt(sum % 11) == Character.toUpperCase(id.charAt(17));
  }

  private static boolean validCnId15(String id) {
    return CN_PROVINCES.contains(id.substring(0, 2)) && validDate("19" + id.substring(6, 12));
  }

  private static boolean validDate(String yyyymmdd) {
    try {
      LocalDate date = LocalDate.of(Integer.parseInt(yyyymmdd.substring(0, 4)),
          Integer.parseInt(yyyymmdd.substring(4, 6)), Integer.parseInt(yyyymmdd.substring(6, 8)));
      return date.getYear() >= 1850 && !date.isAfter(LocalDate.now());
    } catch (DateTimeException invalidDate) {
      return false;
    }
  }

  static boolean mod97(String iban) {
    String rearranged = iban.substring(4) + iban.substring(0, 4);
    StringBuilder numeric = new StringBuilder(rearranged.length() * 2);
    for (int i = 0; i < rearranged.length(); i++) {
      char c = rearranged.charAt(i);
      numeric.append(Character.isDigit(c) ? String.valueOf(c) : String.valueOf(c - 'A' + 10));
    }
    return new BigInteger(numeric.toString()).mod(BigInteger.valueOf(97)).intValue() == 1;
  }

  /** Netmasks and the unspecified address name no host, so they say nothing about a person. */
  private static boolean hostAddress(String ip) {
    return !ip.equals("0.0.0.0") && !ip.startsWith("255.");
  }

  /** Strict textual IPv6 check (RFC 4291 section 2.2); no resolver is involved. */
  static boolean validIpv6(String s) {
    int doubleColon = s.indexOf("::");
    if (doubleColon >= 0 && s.indexOf("::", doubleColon + 1) >= 0) {
      return false;
    }
    String head = doubleColon >= 0 ? s.substring(0, doubleColon) : s;
    String tail = doubleColon >= 0 ? s.substring(doubleColon + 2) : "";
    List<String> groups = new ArrayList<>();
    for (String part : new String[] {head, tail}) {
      if (!part.isEmpty()) {
        groups.addAll(List.of(part.split(":", -1)));
      }
    }
    int units = 0;
    for (int i = 0; i < groups.size(); i++) {
      String g = groups.get(i);
      if (g.contains(".")) {
        if (i != groups.size() - 1 || !IPV4.matcher(g).matches()) {
          return false;
        }
        units += 2;
      } else if (g.isEmpty() || g.length() > 4) {
        return false;
      } else {
        units++;
      }
    }
    if (doubleColon >= 0) {
      // Without a digit or with a single group, "::" is far more often C++ or Rust scope syntax.
      return units <= 7 && (units >= 2 && s.chars().anyMatch(Character::isDigit) || s.equals("::1"));
    }
    return units == 8;
  }

  private static int digitCount(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        n++;
      }
    }
    return n;
  }

  private static String digitsOf(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        b.append(s.charAt(i));
      }
    }
    return b.toString();
  }

  /**
   * Configuration of the {@code pii} guard.
   *
   * @param entities the entities to report (default: all of {@link #ENTITIES}); an unknown entity
   *     is an error listing the valid ones
   */
  public record Config(@JsonProperty("entities") List<String> entities) {
    public Config {
      RuleSupport.checkedSubset("entities", entities, ENTITIES);
      entities = entities == null ? null : List.copyOf(entities);
    }
  }

  /** Creates {@link PiiGuard}s for policy entries {@code guard: pii}. */
  public static final class Factory extends SimpleGuardFactory<Config> {
    /** Used by {@link java.util.ServiceLoader}. */
    public Factory() {
      super("pii", Config.class);
    }

    @Override
    public Guard create(Config config, GuardContext context) {
      Config c = config == null ? new Config(null) : config;
      return new PiiGuard(context.name(), RuleSupport.checkedSubset("entities", c.entities(), ENTITIES));
    }
  }
}

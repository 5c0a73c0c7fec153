package dev.modelguard.guard.rules;

import static dev.modelguard.guard.rules.Scans.assertClean;
import static dev.modelguard.guard.rules.Scans.assertFound;
import static dev.modelguard.guard.rules.Scans.scan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.modelguard.guard.Categories;
import dev.modelguard.guard.Finding;
import dev.modelguard.guard.Guard;
import dev.modelguard.guard.GuardContext;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PiiGuardTest {

  private static Guard guard(String... entities) {
    List<String> list = entities.length == 0 ? null : Arrays.asList(entities);
    return new PiiGuard.Factory().create(new PiiGuard.Config(list), new GuardContext("pii", Path.of(".")));
  }

  private static final Guard ALL = guard();

  /** text | label | the exact original substring that must be reported. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "mail alice.smith@example.com now|EMAIL|alice.smith@example.com",
      "联系邮箱：zhang.wei@qq.com，谢谢|EMAIL|zhang.wei@qq.com",
      "我的手机号是13812345678，身份证号110101199003074514|CN_MOBILE|13812345678",
      "我的手机号是13812345678，身份证号110101199003074514|CN_ID|110101199003074514",
      "电话 +86 138 1234 5678 找我|CN_MOBILE|+86 138 1234 5678",
      "手机：138-1234-5678。|CN_MOBILE|138-1234-5678",
      "手机：１３８１２３４５６７８。|CN_MOBILE|１３８１２３４５６７８",
      "手机：138\u200B1234\u200C5678。|CN_MOBILE|138\u200B1234\u200C5678",
      "身份证：44030419851231002X|CN_ID|44030419851231002X",
      "身份证：44030419851231002x 已登记|CN_ID|44030419851231002x",
      "ID ４４０３０４１９８５１２３１００２Ｘ ok|CN_ID|４４０３０４１９８５１２３１００２Ｘ",
      "老身份证110105710923002有效|CN_ID|110105710923002",
      "card 4111 1111 1111 1111 exp 12/27|CREDIT_CARD|4111 1111 1111 1111",
      "mc 5500-0000-0000-0004.|CREDIT_CARD|5500-0000-0000-0004",
      "amex 378282246310005|CREDIT_CARD|378282246310005",
      "JCB 3530111333300000 ok|CREDIT_CARD|3530111333300000",
      "卡号4111111111111111谢谢|CREDIT_CARD|4111111111111111",
      "visa 4111\u200B1111\u200B1111\u200B1111|CREDIT_CARD|4111\u200B1111\u200B1111\u200B1111",
      "银行卡6217001234567890122请转账|CN_BANK_CARD|6217001234567890122",
      "IBAN DE89 3704 0044 0532 0130 00 please|IBAN|DE89 3704 0044 0532 0130 00",
      "pay to GB82WEST12345698765432.|IBAN|GB82WEST12345698765432",
      "FR14 2004 1010 0505 0001 3M02 606|IBAN|FR14 2004 1010 0505 0001 3M02 606",
      "server 192.168.1.10 is down|IPV4|192.168.1.10",
      "服务器地址10.0.0.1无法访问|IPV4|10.0.0.1",
      "host 2001:db8::8a2e:370:7334 up|IPV6|2001:db8::8a2e:370:7334",
      "link fe80::1ff:fe23:4567:890a%eth0|IPV6|fe80::1ff:fe23:4567:890a",
      "full 2001:0db8:85a3:0000:0000:8a2e:0370:7334|IPV6|2001:0db8:85a3:0000:0000:8a2e:0370:7334",
      "mapped ::ffff:192.0.2.128 ok|IPV6|::ffff:192.0.2.128",
      "SSN 123-45-6789 on file|US_SSN|123-45-6789",
      "Call +1 415-555-2671 today|PHONE|+1 415-555-2671",
      "Call (415) 555-2671 today|PHONE|(415) 555-2671",
      "London +44 20 7946 0958.|PHONE|+44 20 7946 0958",
      "座机010-62345678转1|PHONE|010-62345678",
      "Paris 01 42 68 53 00|PHONE|01 42 68 53 00",
  })
  void findsValidEntities(String text, String label, String expected) {
    Finding f = assertFound(ALL, text, label, expected);
    assertEquals(Categories.PII, f.category());
    assertEquals("pii", f.guard());
    assertEquals(1.0, f.score());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "身份证号110101199003074515",          // wrong check digit
      "身份证号110101199002304514",          // 30 February
      "身份证号110101199013014514",          // month 13
      "身份证号990101199003074514",          // no such province
      "card 4111 1111 1111 1112",            // Luhn-invalid
      "card 1234 5678 9012 3456",            // Luhn-invalid
      "银行卡6217001234567890123",            // Luhn-invalid UnionPay
      "IBAN DE89 3704 0044 0532 0130 01",    // mod-97 fails
      "IBAN DE89370400440532013",            // too short for DE
      "号码13812345678901很长",               // longer digit run than a mobile
      "abc13812345678",                      // inside an alphanumeric run
      "order 20231005123456789",             // plain long number
      "version 1.2.3 and 10.0.19045",        // versions
      "released 2023-10-05 at 12:30:45",     // date and time
      "WinPython-64bit-3.4.2.4 build",       // version with four parts
      "ratio 0.6511772622175621",            // decimal fraction
      "1.2.3.4.5 is not an address",         // five parts
      "999.1.1.1 is out of range",
      "listen 0.0.0.0 mask 255.255.255.0",
      "std::vector<int> and a::b",           // scope syntax
      "MAC 00:1A:2B:3C:4D:5E",
      "SSN 000-12-3456, 666-12-3456, 900-12-3456, 123-00-4567, 123-45-0000",
      "价格为100元，订单号2023100512，共3件",
      "The quick brown fox jumps over the lazy dog.",
  })
  void ignoresInvalidOrNonPersonalNumbers(String text) {
    assertClean(ALL, text);
  }

  @Test
  void reportsOnlyConfiguredEntities() {
    Guard onlyMobile = guard("CN_MOBILE");
    List<Finding> findings = scan(onlyMobile, "13812345678 110101199003074514 a@b.co");
    assertEquals(1, findings.size());
    assertEquals("CN_MOBILE", findings.get(0).label());
  }

  @Test
  void unionPayCardIsACreditCardWhenBankCardsAreNotRequested() {
    assertFound(guard("CREDIT_CARD"), "卡6217001234567890122", "CREDIT_CARD", "6217001234567890122");
  }

  @Test
  void findingsAreSortedAndDoNotOverlap() {
    String text = "A 4111111111111111 B 13812345678 C 110101199003074514";
    List<Finding> findings = scan(ALL, text);
    assertEquals(List.of("CREDIT_CARD", "CN_MOBILE", "CN_ID"), findings.stream().map(Finding::label).toList());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "EMAIL,FOO|entities[1]: unknown entity 'FOO' (valid: EMAIL, CN_ID, IBAN, CN_BANK_CARD, CREDIT_CARD, US_SSN,"
          + " CN_MOBILE, PHONE, IPV6, IPV4)",
      "email|entities[0]: unknown entity 'email'",
  })
  void unknownEntityIsAnErrorListingTheValidOnes(String entities, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new PiiGuard.Config(Arrays.asList(entities.split(","))));
    assertEquals(true, e.getMessage().startsWith(message), e.getMessage());
  }
}

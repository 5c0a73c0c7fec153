package dev.modelguard.guard.rules;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Finds which of a fixed set of literal keywords occur in a text, in one pass: an Aho-Corasick
 * automaton compiled into a dense transition table over the few distinct characters the keywords
 * use, so each text character costs one table lookup and a scan allocates only its result.
 *
 * <p>The automaton folds ASCII letters to lower case, like Java's {@code (?i)} without {@code
 * UNICODE_CASE}; a case-sensitive keyword is confirmed against the text where the folded one
 * occurs. Guards use it as a prefilter: a pattern needs to run only when a literal that every
 * match of it contains occurs in the text.
 *
 * <p>Built once through {@link Builder}; immutable and thread-safe afterwards.
 */
final class KeywordScanner {

  /**
   * A conjunction of alternatives over keyword ids: true when every clause has a keyword that
   * occurred.
   */
  record Condition(int[][] clauses) {
    boolean test(BitSet seen) {
      for (int[] clause : clauses) {
        boolean any = false;
        for (int id : clause) {
          if (seen.get(id)) {
            any = true;
            break;
          }
        }
        if (!any) {
          return false;
        }
      }
      return true;
    }
  }

  /** Collects keywords and the conditions over them; not thread-safe. */
  static final class Builder {
    private final List<String> keywords = new ArrayList<>();
    private final List<Boolean> caseSensitive = new ArrayList<>();
    private final Map<String, Integer> ids = new HashMap<>();

    /**
     * A condition written as {@code a|b&c}: ({@code a} or {@code b}) and {@code c}. Keywords are
     * taken literally apart from the two separators, and none may be empty.
     */
    Condition condition(String spec, boolean caseSensitive) {
      String[] clauses = spec.split("&", -1);
      int[][] ids = new int[clauses.length][];
      for (int c = 0; c < clauses.length; c++) {
        String[] alternatives = clauses[c].split("\\|", -1);
        ids[c] = new int[alternatives.length];
        for (int a = 0; a < alternatives.length; a++) {
          ids[c][a] = add(alternatives[a], caseSensitive);
        }
      }
      return new Condition(ids);
    }

    private int add(String keyword, boolean sensitive) {
      if (keyword.isEmpty()) {
        throw new IllegalArgumentException("empty keyword in a condition");
      }
      String key = (sensitive ? "S:" : "I:") + (sensitive ? keyword : fold(keyword));
      return ids.computeIfAbsent(key, k -> {
        keywords.add(sensitive ? keyword : fold(keyword));
        caseSensitive.add(sensitive);
        return keywords.size() - 1;
      });
    }

    KeywordScanner build() {
      return new KeywordScanner(List.copyOf(keywords), caseSensitive);
    }
  }

  private final String[] keywords;
  private final boolean[] caseSensitive;
  /** Character class of each ASCII char; 0 is every character no keyword uses. */
  private final int[] asciiClass = new int[128];
  /** Non-ASCII keyword characters, sorted, and their classes. */
  private final char[] otherChars;
  private final int[] otherClasses;
  private final int classes;
  /** {@code next[state * classes + class]}: the complete (failure-resolved) transition table. */
  private final int[] next;
  /** Keyword ids ending in each state, including those reached through failure links; null if none. */
  private final int[][] output;

  private KeywordScanner(List<String> keywords, List<Boolean> sensitive) {
    this.keywords = keywords.toArray(String[]::new);
    this.caseSensitive = new boolean[keywords.size()];
    for (int i = 0; i < caseSensitive.length; i++) {
      caseSensitive[i] = sensitive.get(i);
    }
    TreeSet<Character> alphabet = new TreeSet<>();
    for (String k : keywords) {
      for (char c : fold(k).toCharArray()) {
        alphabet.add(c);
      }
    }
    List<Character> others = new ArrayList<>();
    int cls = 1;
    for (char c : alphabet) {
      if (c < 128) {
        asciiClass[c] = cls++;
      } else {
        others.add(c);
      }
    }
    otherChars = new char[others.size()];
    otherClasses = new int[others.size()];
    for (int i = 0; i < others.size(); i++) {
      otherChars[i] = others.get(i);
      otherClasses[i] = cls++;
    }
    classes = cls;

    // Trie of the folded keywords; -1 marks a missing edge until failure links fill it in.
    List<int[]> edges = new ArrayList<>();
    List<List<Integer>> ends = new ArrayList<>();
    edges.add(newRow());
    ends.add(new ArrayList<>());
    for (int id = 0; id < keywords.size(); id++) {
      int state = 0;
      for (char c : fold(keywords.get(id)).toCharArray()) {
        int k = classOf(c);
        if (edges.get(state)[k] < 0) {
          edges.get(state)[k] = edges.size();
          edges.add(newRow());
          ends.add(new ArrayList<>());
        }
        state = edges.get(state)[k];
      }
      ends.get(state).add(id);
    }
    int[] fail = new int[edges.size()];
    ArrayDeque<Integer> queue = new ArrayDeque<>();
    int[] root = edges.get(0);
    for (int k = 0; k < classes; k++) {
      if (root[k] < 0) {
        root[k] = 0;
      } else {
        queue.add(root[k]);
      }
    }
    while (!queue.isEmpty()) {
      int state = queue.poll();
      ends.get(state).addAll(ends.get(fail[state]));
      int[] row = edges.get(state);
      for (int k = 0; k < classes; k++) {
        if (row[k] < 0) {
          row[k] = edges.get(fail[state])[k];
        } else {
          fail[row[k]] = edges.get(fail[state])[k];
          queue.add(row[k]);
        }
      }
    }
    next = new int[edges.size() * classes];
    output = new int[edges.size()][];
    for (int s = 0; s < edges.size(); s++) {
      System.arraycopy(edges.get(s), 0, next, s * classes, classes);
      if (!ends.get(s).isEmpty()) {
        output[s] = ends.get(s).stream().mapToInt(Integer::intValue).toArray();
      }
    }
  }

  private int[] newRow() {
    int[] row = new int[classes];
    Arrays.fill(row, -1);
    return row;
  }

  private int classOf(char c) {
    if (c < 128) {
      return asciiClass[c];
    }
    int i = Arrays.binarySearch(otherChars, c);
    return i < 0 ? 0 : otherClasses[i];
  }

  private static String fold(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      b.append(foldChar(s.charAt(i)));
    }
    return b.toString();
  }

  private static char foldChar(char c) {
    return c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
  }

  /** The ids of the keywords that occur in {@code text}. */
  BitSet scan(String text) {
    BitSet seen = new BitSet(keywords.length);
    int state = 0;
    for (int i = 0; i < text.length(); i++) {
      state = next[state * classes + classOf(foldChar(text.charAt(i)))];
      int[] ids = output[state];
      if (ids != null) {
        for (int id : ids) {
          String k = keywords[id];
          if (!caseSensitive[id] || text.regionMatches(i + 1 - k.length(), k, 0, k.length())) {
            seen.set(id);
          }
        }
      }
    }
    return seen;
  }
}

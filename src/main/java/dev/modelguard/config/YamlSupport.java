package dev.modelguard.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import java.lang.reflect.Executable;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The YAML conventions shared by the gateway config and policy files: one strictly configured
 * mapper, a map from JSON paths to source positions, and the translation of Jackson's exceptions
 * into {@code FILE:LINE:COL: json.path: message} lines.
 *
 * <p>JSON paths are written {@code listen.port}, {@code routes[1].upstream}; the root is {@code ""}.
 * Stateless and thread-safe.
 */
public final class YamlSupport {
  private static final YAMLFactory FACTORY =
      YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private static final ObjectMapper MAPPER = YAMLMapper.builder(FACTORY)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .build();

  private static final PropertyNamingStrategies.NamingBase SNAKE =
      (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;

  private static final Pattern KEY_PREFIX = Pattern.compile("(([a-z_][a-z0-9_]*)(?:\\[\\d+\\])*): (.+)", Pattern.DOTALL);

  private YamlSupport() {}

  /**
   * The mapper every file of the project is read with: unknown keys, duplicate keys and nulls for
   * primitives fail; record components are bound in snake_case. Shared; do not reconfigure.
   */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /**
   * Where each key (and each list element) of a YAML document starts. Keys map to the position of
   * the key itself, list elements to the position of the element. A syntax error ends the walk;
   * what was seen until then is returned, so this never fails.
   */
  public static Map<String, SourceLocation> locate(String yaml, String file) {
    Map<String, SourceLocation> out = new HashMap<>();
    out.put("", new SourceLocation(file, 1, 1));
    try (JsonParser p = FACTORY.createParser(yaml)) {
      if (p.nextToken() != null) {
        readLocated(p, file, "", out);
      }
    } catch (IOException | RuntimeException e) {
      // The same text is parsed again for binding, and that parse reports the syntax error.
    }
    return out;
  }

  /**
   * Reads the value at the parser's current token as a tree, recording the position of every key
   * and list element under {@code path} (relative paths when {@code path} is {@code ""}). Leaves
   * the parser on the value's last token, as a Jackson deserializer must.
   */
  public static JsonNode readLocated(JsonParser p, String file, String path, Map<String, SourceLocation> out)
      throws IOException {
    JsonNodeFactory nodes = JsonNodeFactory.instance;
    out.putIfAbsent(path, location(p.currentTokenLocation(), file));
    JsonToken t = p.currentToken();
    switch (t) {
      case START_OBJECT -> {
        ObjectNode o = nodes.objectNode();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          String child = path.isEmpty() ? name : path + "." + name;
          out.put(child, location(p.currentTokenLocation(), file));
          p.nextToken();
          o.set(name, readLocated(p, file, child, out));
        }
        return o;
      }
      case START_ARRAY -> {
        ArrayNode a = nodes.arrayNode();
        int i = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
          a.add(readLocated(p, file, path + "[" + i + "]", out));
          i++;
        }
        return a;
      }
      case VALUE_STRING -> {
        return nodes.textNode(p.getText());
      }
      case VALUE_NUMBER_INT -> {
        return switch (p.getNumberType()) {
          case INT -> nodes.numberNode(p.getIntValue());
          case LONG -> nodes.numberNode(p.getLongValue());
          default -> nodes.numberNode(p.getBigIntegerValue());
        };
      }
      case VALUE_NUMBER_FLOAT -> {
        return nodes.numberNode(p.getDoubleValue());
      }
      case VALUE_TRUE, VALUE_FALSE -> {
        return nodes.booleanNode(t == JsonToken.VALUE_TRUE);
      }
      case VALUE_NULL -> {
        return nodes.nullNode();
      }
      default -> {
        return nodes.pojoNode(p.getEmbeddedObject());
      }
    }
  }

  /** The JSON path of the value a parser is positioned on (a container's start token included). */
  public static String pathOf(JsonParser p) {
    JsonStreamContext ctx = p.getParsingContext();
    if (p.currentToken() == JsonToken.START_OBJECT || p.currentToken() == JsonToken.START_ARRAY) {
      ctx = ctx.getParent();
    }
    return pathOf(ctx);
  }

  private static String pathOf(JsonStreamContext ctx) {
    if (ctx == null || ctx.inRoot()) {
      return "";
    }
    String parent = pathOf(ctx.getParent());
    if (ctx.inArray()) {
      return parent + "[" + Math.max(ctx.getCurrentIndex(), 0) + "]";
    }
    String name = ctx.getCurrentName();
    return name == null ? parent : join(parent, name);
  }

  /**
   * The position of {@code path}, or of its nearest enclosing key that has one (a missing key is
   * reported where its parent is); null only when {@code locations} knows nothing at all.
   */
  public static SourceLocation lookup(Map<String, SourceLocation> locations, String path) {
    String p = path;
    while (true) {
      SourceLocation loc = locations.get(p);
      if (loc != null || p.isEmpty()) {
        return loc;
      }
      p = parentPath(p);
    }
  }

  /** {@code a.b[2]} for {@code a.b[2].c}, {@code a.b} for {@code a.b[2]}, {@code ""} for {@code a}. */
  public static String parentPath(String path) {
    int cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
    return cut <= 0 ? "" : path.substring(0, cut);
  }

  /** Joins two JSON paths ({@code a} + {@code b} is {@code a.b}; {@code a} + {@code [1]} is {@code a[1]}). */
  public static String join(String parent, String child) {
    if (parent.isEmpty()) {
      return child;
    }
    if (child.isEmpty()) {
      return parent;
    }
    return child.startsWith("[") ? parent + child : parent + "." + child;
  }

  /** {@code LOCATION: path: message}, leaving out the path when it is empty. */
  public static String format(SourceLocation location, String path, String message) {
    return location + ": " + (path.isEmpty() ? "" : path + ": ") + message;
  }

  /**
   * Turns a Jackson failure into one error line.
   *
   * @param e what Jackson threw while reading or binding
   * @param file the file name to show when no recorded position applies
   * @param locations positions of paths relative to what was being bound (see {@link #locate})
   * @param prefix path of the bound value inside its file ({@code ""} for a whole file,
   *     {@code prompt[2]} for a guard's config)
   * @param extraKeys keys valid beside the bound type's own, listed in "unknown key" errors
   */
  public static String describe(JsonProcessingException e, String file, Map<String, SourceLocation> locations,
      String prefix, Collection<String> extraKeys) {
    String path = e instanceof JsonMappingException m ? pathOf(m.getPath()) : "";
    String message;
    InvalidKeyException invalidKey = cause(e, InvalidKeyException.class);
    IllegalArgumentException illegal = cause(e, IllegalArgumentException.class);
    if (e instanceof UnrecognizedPropertyException u) {
      Set<String> valid = new LinkedHashSet<>(extraKeys);
      valid.addAll(validKeys(u.getReferringClass(), u.getKnownPropertyIds()));
      message = "unknown key (valid: " + String.join(", ", valid) + ")";
    } else if (invalidKey != null) {
      path = join(path, invalidKey.key());
      message = invalidKey.problem();
    } else if (illegal != null) {
      message = illegal.getMessage();
      Matcher keyed = KEY_PREFIX.matcher(message == null ? "" : message);
      if (e instanceof ValueInstantiationException v && keyed.matches()
          && validKeys(v.getType().getRawClass(), List.of()).contains(keyed.group(2))) {
        path = join(path, keyed.group(1));
        message = keyed.group(3);
      }
    } else if (e instanceof InvalidFormatException f) {
      message = "expected " + describeType(f.getTargetType()) + ", got '" + f.getValue() + "'";
    } else if (e instanceof MismatchedInputException mi && mi.getTargetType() != null) {
      message = "expected " + describeType(mi.getTargetType());
    } else {
      message = syntaxMessage(e.getOriginalMessage());
    }
    SourceLocation loc = e instanceof JsonMappingException ? lookup(locations, path) : null;
    if (loc == null) {
      loc = location(e.getLocation(), file);
    }
    return format(loc, join(prefix, path), message);
  }

  /**
   * A key that {@code type} does not accept, and the keys it does.
   *
   * @param path the unknown key's path
   * @param valid the keys accepted where it sits, in declaration order
   */
  public record UnknownKey(String path, List<String> valid) {}

  /**
   * The first key in {@code node} (depth first, in file order) that the target type does not
   * accept, walking nested records, lists and maps; null when every key is known.
   *
   * <p>Jackson builds a record through its creator before it reports unknown keys, so a
   * misspelled required key ({@code uri:} for {@code url:}) would surface as "url is required";
   * callers run this first, when binding failed, to report the misspelling instead. Types with
   * their own deserializer are not walked.
   */
  public static UnknownKey findUnknownKey(JsonNode node, Type type, String path) {
    Class<?> raw = rawClass(type);
    if (raw == null || node == null) {
      return null;
    }
    if (raw.isRecord() && !raw.isAnnotationPresent(JsonDeserialize.class) && node.isObject()) {
      Map<String, Type> keys = keyTypes(raw);
      for (Map.Entry<String, JsonNode> field : node.properties()) {
        String child = join(path, field.getKey());
        if (!keys.containsKey(field.getKey())) {
          return new UnknownKey(child, List.copyOf(keys.keySet()));
        }
        UnknownKey u = findUnknownKey(field.getValue(), keys.get(field.getKey()), child);
        if (u != null) {
          return u;
        }
      }
    } else if (Collection.class.isAssignableFrom(raw) && node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        UnknownKey u = findUnknownKey(node.get(i), typeArgument(type, 0), path + "[" + i + "]");
        if (u != null) {
          return u;
        }
      }
    } else if (Map.class.isAssignableFrom(raw) && node.isObject()) {
      for (Map.Entry<String, JsonNode> field : node.properties()) {
        UnknownKey u = findUnknownKey(field.getValue(), typeArgument(type, 1), join(path, field.getKey()));
        if (u != null) {
          return u;
        }
      }
    }
    return null;
  }

  /**
   * The "unknown key" error line for {@code text} bound to {@code type}, or null when it has no
   * unknown key (or is not even valid YAML; the binding error says why then).
   */
  public static String unknownKeyError(String text, Class<?> type, String file, Map<String, SourceLocation> locations) {
    JsonNode tree;
    try {
      tree = MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      return null;
    }
    UnknownKey u = findUnknownKey(tree, type, "");
    if (u == null) {
      return null;
    }
    SourceLocation loc = lookup(locations, u.path());
    return format(loc == null ? new SourceLocation(file, 1, 1) : loc, u.path(),
        "unknown key (valid: " + String.join(", ", u.valid()) + ")");
  }

  private static Map<String, Type> keyTypes(Class<?> type) {
    Map<String, Type> keys = new LinkedHashMap<>();
    for (Executable ex : creatorCandidates(type)) {
      if (ex.isAnnotationPresent(JsonCreator.class)) {
        for (Parameter param : ex.getParameters()) {
          JsonProperty jp = param.getAnnotation(JsonProperty.class);
          if (jp != null) {
            keys.put(jp.value(), param.getParameterizedType());
          }
        }
        if (!keys.isEmpty()) {
          return keys;
        }
      }
    }
    for (RecordComponent c : type.getRecordComponents()) {
      // @JsonProperty cannot target record components; javac propagates it to the accessor.
      JsonProperty jp = c.getAccessor().getAnnotation(JsonProperty.class);
      keys.put(jp != null && !jp.value().isEmpty() ? jp.value() : SNAKE.translate(c.getName()), c.getGenericType());
    }
    return keys;
  }

  private static List<Executable> creatorCandidates(Class<?> type) {
    List<Executable> candidates = new ArrayList<>(List.of(type.getDeclaredConstructors()));
    Stream.of(type.getDeclaredMethods()).filter(m -> Modifier.isStatic(m.getModifiers())).forEach(candidates::add);
    return candidates;
  }

  private static Class<?> rawClass(Type t) {
    if (t instanceof Class<?> c) {
      return c;
    }
    if (t instanceof ParameterizedType p && p.getRawType() instanceof Class<?> c) {
      return c;
    }
    return null;
  }

  private static Type typeArgument(Type t, int index) {
    if (t instanceof ParameterizedType p && p.getActualTypeArguments().length > index) {
      return p.getActualTypeArguments()[index];
    }
    return Object.class;
  }

  private static SourceLocation location(JsonLocation l, String file) {
    if (l == null || l.getLineNr() < 1) {
      return new SourceLocation(file, 1, 1);
    }
    return new SourceLocation(file, l.getLineNr(), Math.max(l.getColumnNr(), 1));
  }

  private static String pathOf(List<JsonMappingException.Reference> refs) {
    StringBuilder b = new StringBuilder();
    for (JsonMappingException.Reference r : refs) {
      if (r.getFieldName() != null) {
        if (b.length() > 0) {
          b.append('.');
        }
        b.append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        b.append('[').append(r.getIndex()).append(']');
      }
    }
    return b.toString();
  }

  /**
   * The keys a type accepts, in declaration order: the {@code @JsonProperty} names of its
   * {@code @JsonCreator}, else its record components in snake_case, else Jackson's known ids.
   */
  public static List<String> validKeys(Class<?> type, Collection<Object> known) {
    if (type != null && (type.isRecord() || creatorCandidates(type).stream().anyMatch(e -> e.isAnnotationPresent(JsonCreator.class)))) {
      List<String> keys = type.isRecord() ? List.copyOf(keyTypes(type).keySet()) : creatorKeys(type);
      if (!keys.isEmpty()) {
        return keys;
      }
    }
    Set<String> sorted = new TreeSet<>();
    if (known != null) {
      known.forEach(k -> sorted.add(String.valueOf(k)));
    }
    return List.copyOf(sorted);
  }

  private static List<String> creatorKeys(Class<?> type) {
    List<String> keys = new ArrayList<>();
    for (Executable ex : creatorCandidates(type)) {
      if (ex.isAnnotationPresent(JsonCreator.class)) {
        for (Parameter param : ex.getParameters()) {
          JsonProperty jp = param.getAnnotation(JsonProperty.class);
          if (jp != null) {
            keys.add(jp.value());
          }
        }
      }
    }
    return keys;
  }

  private static String describeType(Class<?> t) {
    if (t == int.class || t == Integer.class || t == long.class || t == Long.class) {
      return "an integer";
    }
    if (t == double.class || t == Double.class || t == float.class || t == Float.class) {
      return "a number";
    }
    if (t == boolean.class || t == Boolean.class) {
      return "true or false";
    }
    if (t == String.class) {
      return "a string";
    }
    if (Collection.class.isAssignableFrom(t) || t.isArray()) {
      return "a list";
    }
    if (t.isEnum()) {
      return "one of " + Stream.of(t.getEnumConstants()).map(String::valueOf).map(String::toLowerCase).toList();
    }
    return "a mapping";
  }

  /** SnakeYAML's multi-line diagnostics without the lines that only repeat the position. */
  private static String syntaxMessage(String raw) {
    if (raw == null) {
      return "invalid YAML";
    }
    List<String> parts = new ArrayList<>();
    for (String line : raw.split("\n")) {
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("in 'reader'") || t.startsWith("^") || t.startsWith("at [Source")) {
        continue;
      }
      parts.add(t);
    }
    return parts.isEmpty() ? "invalid YAML" : String.join("; ", parts);
  }

  private static <T extends Throwable> T cause(Throwable t, Class<T> type) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (type.isInstance(c)) {
        return type.cast(c);
      }
    }
    return null;
  }
}

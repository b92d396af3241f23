package io.chatmesh.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** Reading deploy/: YAML documents as maps, and the values the image is built with. */
final class DeployYaml {
  static final Path DEPLOY = Path.of("..", "deploy").toAbsolutePath().normalize();
  /** The image examples/pom.xml builds ({@code image.name}). */
  static final String IMAGE = System.getProperty("image.name", "chatmesh-demo:0.1.0-SNAPSHOT");

  private DeployYaml() {}

  /** Every document of a YAML file (anchors and merge keys resolved). */
  static List<Map<String, Object>> documents(Path file) {
    try {
      List<Map<String, Object>> out = new ArrayList<>();
      for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(Files.readString(file))) {
        assertThat(doc).as("a document of " + file).isInstanceOf(Map.class);
        out.add(map(doc));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object o) {
    assertThat(o).isInstanceOf(Map.class);
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  static List<Object> list(Object o) {
    assertThat(o).isInstanceOf(List.class);
    return (List<Object>) o;
  }

  /** The value at a path of keys (and list indexes) in nested maps, failing if it is missing. */
  static Object at(Object root, Object... path) {
    Object o = root;
    for (Object key : path) {
      assertThat(o).as("parent of " + key + " in " + List.of(path)).isNotNull();
      o = key instanceof Integer i ? list(o).get(i) : map(o).get(key);
      assertThat(o).as(List.of(path) + " up to " + key).isNotNull();
    }
    return o;
  }

  static String text(Object root, Object... path) {
    return String.valueOf(at(root, path));
  }

  /** The strings of a YAML list. */
  static String[] strings(Object o) {
    return list(o).stream().map(String::valueOf).toArray(String[]::new);
  }

  /** Compose's {@code ${NAME:-default}}, with every variable unset. */
  static String withDefaults(String s) {
    Matcher m = Pattern.compile("\\$\\{[A-Za-z_][A-Za-z0-9_]*:-([^}]*)}").matcher(s);
    return m.replaceAll(r -> Matcher.quoteReplacement(r.group(1)));
  }

  /** The container user of the image, {@code <user>UID:GID</user>} in examples/pom.xml. */
  static int imageUid() throws IOException {
    Matcher m = Pattern.compile("<user>(\\d+):(\\d+)</user>").matcher(Files.readString(Path.of("pom.xml")));
    assertThat(m.find()).as("<user>UID:GID</user> in examples/pom.xml").isTrue();
    return Integer.parseInt(m.group(1));
  }
}

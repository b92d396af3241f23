package io.chatmesh.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code chatmesh-bom} manages every published module of the reactor, at the parent's version. */
class BomTest {
  private static final Path ROOT = Path.of("..");
  /** Reactor modules that are not published as dependencies. */
  private static final Set<String> NOT_PUBLISHED = Set.of("examples", "benchmarks", "chatmesh-bom");

  private static String artifactIdOf(Path pom) throws Exception {
    String text = Files.readString(pom);
    String withoutParent = text.replaceAll("(?s)<parent>.*?</parent>", "");
    Matcher m = Pattern.compile("<artifactId>([^<]+)</artifactId>").matcher(withoutParent);
    assertThat(m.find()).as("artifactId in " + pom).isTrue();
    return m.group(1);
  }

  private static String versionOf(String pomText) {
    Matcher m = Pattern.compile("<version>([^<]+)</version>").matcher(pomText.replaceAll("(?s)<parent>.*?</parent>", ""));
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  @Test
  void bomListsEveryPublishedModuleAtTheParentsVersion() throws Exception {
    String parent = Files.readString(ROOT.resolve("pom.xml"));
    List<String> modules = new ArrayList<>();
    Matcher m = Pattern.compile("<module>([^<]+)</module>").matcher(parent);
    while (m.find()) {
      modules.add(m.group(1));
    }
    assertThat(modules).contains("chatmesh-bom", "chatmesh-micrometer");
    Set<String> published = new TreeSet<>();
    for (String module : modules) {
      if (!NOT_PUBLISHED.contains(module)) {
        published.add(artifactIdOf(ROOT.resolve(module).resolve("pom.xml")));
      }
    }

    String bom = Files.readString(ROOT.resolve("chatmesh-bom").resolve("pom.xml"));
    assertThat(bom).doesNotContain("<parent>");
    assertThat(versionOf(bom)).isEqualTo(versionOf(parent));
    Set<String> managed = new TreeSet<>();
    Matcher d = Pattern.compile("(?s)<dependency>\\s*<groupId>io\\.chatmesh</groupId>\\s*<artifactId>([^<]+)</artifactId>\\s*<version>\\$\\{project\\.version}</version>").matcher(bom);
    while (d.find()) {
      managed.add(d.group(1));
    }
    assertThat(managed).isEqualTo(published);
  }
}

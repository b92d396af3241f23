package io.chatmesh.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The demo's container image as Jib built it at {@code package} (the {@code image-tar-check}
 * execution of examples/pom.xml: the configuration users build with {@code jib:buildTar}, on an
 * empty base instead of the JRE one, so that no registry is needed). Reads the {@code docker load}
 * tarball: its manifest, its config (entrypoint, arguments, ports, user, environment, labels) and
 * every layer (digests, and the demo's classes and jars in them). Whether the image RUNS cannot be
 * checked here (no Docker engine, no registry for the JRE base): README "Deploying" says so.
 */
class ImageTarballIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String VERSION = System.getProperty("image.version", "0.1.0-SNAPSHOT");
  private static JsonNode manifest;
  private static JsonNode config;
  /** Every file of every layer: path -> size (directories end in '/'). */
  private static final Map<String, Long> files = new LinkedHashMap<>();
  private static final Map<String, byte[]> smallFiles = new LinkedHashMap<>();
  private static final List<String> layerDiffIds = new ArrayList<>();

  @BeforeAll
  static void readTarball() throws IOException, NoSuchAlgorithmException {
    Path tar = Path.of(System.getProperty("image.check.tar", "target/image-check/chatmesh-demo-image.tar"));
    assertThat(tar).as("the image tarball built by jib:buildTar at package").isRegularFile();
    Map<String, byte[]> top = new LinkedHashMap<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(tar))) {
      for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        if (e.isFile()) {
          top.put(e.getName(), in.readAllBytes());
        }
      }
    }
    assertThat(top).containsKeys("manifest.json");
    JsonNode manifests = JSON.readTree(top.get("manifest.json"));
    assertThat(manifests).as("one image in the tarball").hasSize(1);
    manifest = manifests.get(0);
    byte[] configBytes = top.get(manifest.get("Config").asText());
    assertThat(configBytes).as("the config file named by manifest.json").isNotNull();
    config = JSON.readTree(configBytes);
    for (JsonNode layer : manifest.get("Layers")) {
      byte[] gz = top.get(layer.asText());
      assertThat(gz).as("layer " + layer.asText() + " named by manifest.json").isNotNull();
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      DigestInputStream uncompressed = new DigestInputStream(new GZIPInputStream(new ByteArrayInputStream(gz)), sha);
      try (TarArchiveInputStream in = new TarArchiveInputStream(uncompressed)) {
        for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
          String name = e.getName();
          files.put(name, e.isDirectory() ? -1L : e.getSize());
          if (e.isFile() && e.getSize() < 64 * 1024) {
            smallFiles.put(name, in.readAllBytes());
          }
        }
        uncompressed.transferTo(OutputStream.nullOutputStream()); // the tar's end blocks count too
      }
      layerDiffIds.add("sha256:" + HexFormat.of().formatHex(sha.digest()));
    }
  }

  @Test
  void tagIsTheProjectsImageName() {
    assertThat(manifest.get("RepoTags")).extracting(JsonNode::asText).containsExactly("chatmesh-demo:" + VERSION);
  }

  @Test
  void layersAreTheOnesTheConfigDeclares() {
    List<String> declared = new ArrayList<>();
    config.get("rootfs").get("diff_ids").forEach(d -> declared.add(d.asText()));
    assertThat(layerDiffIds).as("sha256 of each uncompressed layer").isEqualTo(declared);
    assertThat(config.get("os").asText()).isEqualTo("linux");
  }

  @Test
  void entrypointStartsTheDemoWithTheImagesClassPath() {
    List<String> entrypoint = strings(config.get("config").get("Entrypoint"));
    assertThat(entrypoint.get(0)).isEqualTo("java");
    assertThat(entrypoint).containsSubsequence("-cp", "@/app/jib-classpath-file")
        .contains("-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError");
    assertThat(entrypoint.get(entrypoint.size() - 1)).isEqualTo(Demo.class.getName());
    assertThat(new String(smallFiles.get("app/jib-main-class-file"), StandardCharsets.UTF_8).strip())
        .isEqualTo(Demo.class.getName());
  }

  @Test
  void defaultArgumentsRunOneNodeReachableFromOutsideTheContainer() {
    List<String> cmd = strings(config.get("config").get("Cmd"));
    Map<String, String> opts = Demo.parse(cmd.toArray(String[]::new)); // refuses unknown options
    assertThat(opts).containsEntry("node", "n1").containsEntry("host", "0.0.0.0").containsEntry("advertise", "127.0.0.1");
    // the ports it exposes are the ones that node listens on (the defaults of --ws-port and --grpc-port)
    assertThat(opts).doesNotContainKeys("ws-port", "grpc-port");
    assertThat(config.get("config").get("ExposedPorts").fieldNames()).toIterable().containsExactlyInAnyOrder("8081/tcp", "9091/tcp");
    assertThat(Demo.USAGE).containsPattern("--ws-port PORT +its WebSocket/HTTP port, default 8081")
        .containsPattern("--grpc-port PORT +its gRPC port, default 9091");
  }

  @Test
  void runsAsANumericNonRootUser() {
    String user = config.get("config").get("User").asText();
    assertThat(user).matches("\\d+:\\d+");
    assertThat(Integer.parseInt(user.split(":")[0])).as("uid").isNotZero();
    assertThat(Integer.parseInt(user.split(":")[1])).as("gid").isNotZero();
  }

  @Test
  void environmentAndLabels() {
    assertThat(strings(config.get("config").get("Env"))).contains("LANG=C.UTF-8");
    JsonNode labels = config.get("config").get("Labels");
    assertThat(labels.get("org.opencontainers.image.title").asText()).isEqualTo("chatmesh-demo");
    assertThat(labels.get("org.opencontainers.image.version").asText()).isEqualTo(VERSION);
    assertThat(labels.get("org.opencontainers.image.licenses").asText()).isEqualTo("Apache-2.0");
  }

  @Test
  void layersHoldTheDemosClassesResourcesAndModuleJars() {
    assertThat(files).containsKeys(
        "app/classes/io/chatmesh/examples/Demo.class",
        "app/classes/io/chatmesh/examples/DemoNode.class",
        "app/classes/io/chatmesh/examples/HttpCheck.class", // deploy/compose.yaml's health check
        "app/resources/io/chatmesh/examples/demo-usage.txt");
    for (String module : List.of(
        "chatmesh-core", "chatmesh-transport-grpc", "chatmesh-websocket", "chatmesh-history-jdbc", "chatmesh-micrometer")) {
      String jar = "app/libs/" + module + "-" + VERSION + ".jar";
      assertThat(files.get(jar)).as(jar + " (a jar file, not a class folder)").isNotNull().isPositive();
    }
    assertThat(files.keySet()).as("no class folder copied as a jar (the image built before package)")
        .noneMatch(f -> f.startsWith("app/libs/classes"));
    assertThat(files.keySet()).anyMatch(f -> f.matches("app/libs/postgresql-[\\d.]+\\.jar"));
    assertThat(files.keySet()).as("no test-scope jars").noneMatch(f -> f.matches(
        "app/libs/(junit|assertj|selenium|snakeyaml|commons-compress|client-java).*"));
  }

  @Test
  void classPathFileNamesExactlyTheJarsInTheImage() {
    List<String> classPath = List.of(new String(smallFiles.get("app/jib-classpath-file"), StandardCharsets.UTF_8).strip().split(":"));
    assertThat(classPath).startsWith("/app/resources", "/app/classes");
    List<String> jars = files.keySet().stream().filter(f -> f.startsWith("app/libs/") && f.endsWith(".jar")).map(f -> "/" + f).toList();
    assertThat(classPath.subList(2, classPath.size())).containsExactlyInAnyOrderElementsOf(jars);
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}

package io.chatmesh.examples;

import static io.chatmesh.examples.DeployYaml.at;
import static io.chatmesh.examples.DeployYaml.list;
import static io.chatmesh.examples.DeployYaml.map;
import static io.chatmesh.examples.DeployYaml.strings;
import static io.chatmesh.examples.DeployYaml.text;
import static io.chatmesh.examples.DeployYaml.withDefaults;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * deploy/compose.yaml fits the demo and the image: three nodes whose commands are options the demo
 * accepts, each advertising its service name and seeded with the others' names on their gRPC port,
 * history in the PostgreSQL service, health checks on /readyz of the node's HTTP port through a
 * class the image holds, published ports that are the nodes' HTTP ports. Docker Compose's own schema
 * check is {@link ComposeSchemaTest}.
 */
class ComposeFileTest {
  private static final List<String> NODES = List.of("n1", "n2", "n3");
  private static Map<String, Object> services;

  @BeforeAll
  static void read() {
    List<Map<String, Object>> docs = DeployYaml.documents(DeployYaml.DEPLOY.resolve("compose.yaml"));
    assertThat(docs).hasSize(1);
    services = map(docs.get(0).get("services"));
  }

  private static Map<String, String> options(String service) {
    String[] command = Arrays.stream(strings(at(services, service, "command"))).map(DeployYaml::withDefaults).toArray(String[]::new);
    return Demo.parse(command); // refuses unknown options
  }

  @Test
  void threeNodesAndPostgres() {
    assertThat(services).containsOnlyKeys("n1", "n2", "n3", "postgres");
    for (String n : NODES) {
      assertThat(withDefaults(text(services, n, "image"))).as(n + " image").isEqualTo(DeployYaml.IMAGE);
      assertThat(text(services, n, "depends_on", "postgres", "condition")).isEqualTo("service_healthy");
    }
    assertThat(strings(at(services, "postgres", "healthcheck", "test"))).contains("pg_isready");
  }

  @Test
  void eachNodeAdvertisesItsServiceNameAndIsSeededWithTheOthers() {
    for (String n : NODES) {
      Map<String, String> opts = options(n);
      assertThat(opts).containsEntry("node", n).containsEntry("host", "0.0.0.0").containsEntry("advertise", n);
      List<String> expected = new ArrayList<>();
      for (String other : NODES) {
        if (!other.equals(n)) {
          expected.add(other + ":" + options(other).get("grpc-port"));
        }
      }
      assertThat(opts.get("peers").split(",")).as(n + " seeds").containsExactlyInAnyOrderElementsOf(expected);
    }
  }

  @Test
  void historyIsThePostgresService() {
    Map<String, Object> pg = map(at(services, "postgres", "environment"));
    for (String n : NODES) {
      URI url = URI.create(options(n).get("history"));
      assertThat(url.getScheme()).isEqualTo("postgresql");
      assertThat(url.getHost()).isEqualTo("postgres");
      assertThat(url.getPort()).isEqualTo(5432);
      assertThat(url.getPath()).isEqualTo("/" + pg.get("POSTGRES_DB"));
      assertThat(url.getUserInfo()).isEqualTo(pg.get("POSTGRES_USER") + ":" + withDefaults(String.valueOf(pg.get("POSTGRES_PASSWORD"))));
    }
  }

  @Test
  void healthCheckAsksReadyzOfTheNodesHttpPortWithAClassOfTheImage() throws Exception {
    for (String n : NODES) {
      List<String> test = List.of(strings(at(services, n, "healthcheck", "test")));
      assertThat(test.get(0)).isEqualTo("CMD");
      assertThat(test).containsSubsequence("java", "-cp", "/app/classes", HttpCheck.class.getName());
      URI url = URI.create(test.get(test.size() - 1));
      assertThat(url.getPath()).isEqualTo("/readyz");
      assertThat(url.getPort()).isEqualTo(Integer.parseInt(options(n).get("ws-port")));
    }
  }

  @Test
  void publishedPortsAreTheNodesHttpPortsAndTheirPagesMayUseEachOther() {
    List<String> published = new ArrayList<>();
    for (String n : NODES) {
      List<Object> ports = list(at(services, n, "ports"));
      assertThat(ports).hasSize(1);
      String[] hostAndContainer = String.valueOf(ports.get(0)).split(":");
      assertThat(hostAndContainer[1]).isEqualTo(options(n).get("ws-port"));
      published.add(hostAndContainer[0]);
    }
    for (String n : NODES) {
      String own = published.get(NODES.indexOf(n));
      for (String port : published) {
        if (!port.equals(own)) {
          assertThat(options(n).get("allow-origins")).as(n + " allows the page on port " + port)
              .contains("http://localhost:" + port).contains("http://127.0.0.1:" + port);
        }
      }
    }
  }

  /** The file is where the README says. */
  @Test
  void fileIsInDeploy() {
    assertThat(DeployYaml.DEPLOY.resolve("compose.yaml")).isRegularFile();
    assertThat(Path.of("..", "README.md")).content().contains("docker compose -f deploy/compose.yaml up");
  }
}

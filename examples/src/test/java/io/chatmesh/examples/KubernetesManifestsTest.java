package io.chatmesh.examples;

import static io.chatmesh.examples.DeployYaml.at;
import static io.chatmesh.examples.DeployYaml.list;
import static io.chatmesh.examples.DeployYaml.map;
import static io.chatmesh.examples.DeployYaml.strings;
import static io.chatmesh.examples.DeployYaml.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonElement;
import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1StatefulSet;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * deploy/k8s: every object passes the Kubernetes API's schema (the model classes of the official
 * Java client, generated from the API's OpenAPI document, refuse unknown and missing required
 * fields), and the objects fit together and fit the demo: selectors select the pods, services and
 * probes name the container's ports, the container's arguments are options the demo accepts with the
 * same ports, the pods run as the image's non-root user. No cluster is involved.
 */
class KubernetesManifestsTest {
  private static final Path K8S = DeployYaml.DEPLOY.resolve("k8s");
  private static final Map<String, Map<String, Object>> byKindAndName = new LinkedHashMap<>();
  private static Map<String, Object> kustomization;

  @BeforeAll
  static void read() {
    kustomization = DeployYaml.documents(K8S.resolve("kustomization.yaml")).get(0);
    for (Object file : list(kustomization.get("resources"))) {
      for (Map<String, Object> doc : DeployYaml.documents(K8S.resolve(String.valueOf(file)))) {
        String key = doc.get("kind") + "/" + text(doc, "metadata", "name");
        assertThat(byKindAndName.put(key, doc)).as("one " + key).isNull();
      }
    }
  }

  private static Map<String, Object> object(String kindAndName) {
    assertThat(byKindAndName).containsKey(kindAndName);
    return byKindAndName.get(kindAndName);
  }

  private static Map<String, Object> statefulSet() {
    return object("StatefulSet/chatmesh");
  }

  private static Map<String, Object> container() {
    List<Object> containers = list(at(statefulSet(), "spec", "template", "spec", "containers"));
    assertThat(containers).hasSize(1);
    return map(containers.get(0));
  }

  private static Map<String, Object> podLabels() {
    return map(at(statefulSet(), "spec", "template", "metadata", "labels"));
  }

  /** The container's ports, name to number. */
  private static Map<String, Integer> containerPorts() {
    Map<String, Integer> out = new HashMap<>();
    for (Object p : list(container().get("ports"))) {
      out.put(text(p, "name"), (Integer) at(p, "containerPort"));
    }
    return out;
  }

  @Test
  void kustomizationListsEveryManifestOfTheFolder() throws IOException {
    Set<String> files = new TreeSet<>();
    try (Stream<Path> s = Files.list(K8S)) {
      s.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".yaml") && !f.equals("kustomization.yaml")).forEach(files::add);
    }
    assertThat(list(kustomization.get("resources"))).map(String::valueOf).containsExactlyInAnyOrderElementsOf(files);
    assertThat(byKindAndName.keySet()).containsExactlyInAnyOrder(
        "StatefulSet/chatmesh", "Service/chatmesh-peers", "Service/chatmesh", "PodDisruptionBudget/chatmesh");
  }

  @Test
  void everyObjectPassesTheKubernetesApiSchema() throws IOException {
    for (Map.Entry<String, Map<String, Object>> e : byKindAndName.entrySet()) {
      validate(e.getValue());
    }
  }

  @Test
  void theSchemaCheckRefusesAMisspelledAndAMissingField() {
    Map<String, Object> typo = copy(statefulSet());
    map(at(typo, "spec", "template", "spec", "containers", 0)).put("readinesProbe", Map.of());
    assertThatThrownBy(() -> validate(typo)).hasMessageContaining("readinesProbe");
    Map<String, Object> nameless = copy(statefulSet());
    map(at(nameless, "spec", "template", "spec", "containers", 0)).remove("name");
    assertThatThrownBy(() -> validate(nameless)).hasMessageContaining("name");
  }

  /** Throws (naming the field) unless {@code doc} fits the API's schema for its kind. */
  private static void validate(Map<String, Object> doc) throws IOException {
    JsonElement json = JSON.getGson().toJsonTree(doc);
    String kind = String.valueOf(doc.get("kind"));
    String apiVersion = String.valueOf(doc.get("apiVersion"));
    switch (kind) {
      case "StatefulSet" -> {
        assertThat(apiVersion).isEqualTo("apps/v1");
        V1StatefulSet.validateJsonElement(json);
      }
      case "Service" -> {
        assertThat(apiVersion).isEqualTo("v1");
        V1Service.validateJsonElement(json);
      }
      case "PodDisruptionBudget" -> {
        assertThat(apiVersion).isEqualTo("policy/v1");
        V1PodDisruptionBudget.validateJsonElement(json);
      }
      default -> throw new AssertionError("no schema check for kind " + kind);
    }
  }

  private static Map<String, Object> copy(Map<String, Object> doc) {
    return map(new Yaml(new SafeConstructor(new LoaderOptions())).load(new Yaml().dump(doc)));
  }

  @Test
  void selectorsSelectThePodsOfTheStatefulSet() {
    Map<String, Object> labels = podLabels();
    assertThat(labels).containsAllEntriesOf(map(at(statefulSet(), "spec", "selector", "matchLabels")));
    assertThat(labels).containsAllEntriesOf(map(at(object("Service/chatmesh-peers"), "spec", "selector")));
    assertThat(labels).containsAllEntriesOf(map(at(object("Service/chatmesh"), "spec", "selector")));
    assertThat(labels).containsAllEntriesOf(map(at(object("PodDisruptionBudget/chatmesh"), "spec", "selector", "matchLabels")));
  }

  @Test
  void headlessServiceGivesEveryPodADnsRecordReadyOrNot() {
    Map<String, Object> peers = object("Service/chatmesh-peers");
    assertThat(text(statefulSet(), "spec", "serviceName")).isEqualTo("chatmesh-peers");
    assertThat(text(peers, "spec", "clusterIP")).isEqualTo("None");
    // the nodes are ready only once they met their seeds: unready pods must be in DNS
    assertThat(at(peers, "spec", "publishNotReadyAddresses")).isEqualTo(true);
    assertThat(map(object("Service/chatmesh").get("spec"))).doesNotContainKey("publishNotReadyAddresses");
  }

  @Test
  void servicesTargetTheContainersNamedPorts() {
    Map<String, Integer> ports = containerPorts();
    Map<String, Object> grpc = map(list(at(object("Service/chatmesh-peers"), "spec", "ports")).get(0));
    assertThat(grpc.get("targetPort")).isEqualTo("grpc");
    assertThat(grpc.get("port")).isEqualTo(ports.get("grpc"));
    for (Object p : list(at(object("Service/chatmesh"), "spec", "ports"))) {
      assertThat(text(p, "targetPort")).isEqualTo("http");
    }
    assertThat(ports).containsOnlyKeys("http", "grpc");
  }

  @Test
  void containerArgumentsAreDemoOptionsOnTheContainersPorts() {
    Map<String, Object> c = container();
    Map<String, String> opts = Demo.parse(strings(c.get("args"))); // refuses unknown options
    Map<String, Integer> ports = containerPorts();
    assertThat(Integer.parseInt(opts.get("ws-port"))).as("--ws-port is the http port").isEqualTo(ports.get("http"));
    assertThat(Integer.parseInt(opts.get("grpc-port"))).as("--grpc-port is the grpc port").isEqualTo(ports.get("grpc"));
    assertThat(opts).containsEntry("host", "0.0.0.0").containsEntry("node", "$(POD_NAME)").containsEntry("advertise", "$(POD_IP)")
        .doesNotContainKey("nodes");
    // seeds: every pod behind the headless service, on its gRPC port (dns:NAME:PORT seeds)
    assertThat(opts).containsEntry("peers", "dns:chatmesh-peers:" + ports.get("grpc"));
    Map<String, String> fieldRefs = new HashMap<>();
    for (Object e : list(c.get("env"))) {
      Map<String, Object> env = map(e);
      if (env.containsKey("valueFrom")) {
        fieldRefs.put(text(env, "name"), text(env, "valueFrom", "fieldRef", "fieldPath"));
      }
    }
    assertThat(fieldRefs).containsEntry("POD_NAME", "metadata.name").containsEntry("POD_IP", "status.podIP");
    List<String> used = new ArrayList<>();
    Matcher m = Pattern.compile("\\$\\(([A-Z_]+)\\)").matcher(String.join(" ", strings(c.get("args"))));
    while (m.find()) {
      used.add(m.group(1));
    }
    assertThat(fieldRefs.keySet()).as("every $(VAR) of args is defined in env").containsAll(used);
  }

  @Test
  void probesAskTheDemosHealthEndpointsOnTheHttpPort() {
    Map<String, Object> c = container();
    assertThat(text(c, "readinessProbe", "httpGet", "path")).isEqualTo("/readyz");
    assertThat(text(c, "livenessProbe", "httpGet", "path")).isEqualTo("/healthz");
    assertThat(text(c, "startupProbe", "httpGet", "path")).isEqualTo("/healthz");
    for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
      assertThat(text(c, probe, "httpGet", "port")).as(probe + " port").isEqualTo("http");
    }
  }

  @Test
  void podsRunAsTheImagesNonRootUserOnAReadOnlyRoot() throws IOException {
    Map<String, Object> pod = map(at(statefulSet(), "spec", "template", "spec", "securityContext"));
    assertThat(pod).containsEntry("runAsNonRoot", true).containsEntry("runAsUser", DeployYaml.imageUid());
    Map<String, Object> c = container();
    assertThat(at(c, "securityContext", "allowPrivilegeEscalation")).isEqualTo(false);
    assertThat(at(c, "securityContext", "readOnlyRootFilesystem")).isEqualTo(true);
    assertThat(list(at(c, "securityContext", "capabilities", "drop"))).containsExactly("ALL");
    // a writable /tmp for the JVM and Netty, from a volume of the pod
    Map<String, Object> mount = map(list(c.get("volumeMounts")).get(0));
    assertThat(mount).containsEntry("mountPath", "/tmp");
    assertThat(list(at(statefulSet(), "spec", "template", "spec", "volumes"))).map(v -> map(v).get("name")).contains(mount.get("name"));
  }

  @Test
  void resourcesReplicasAndDisruptionBudget() {
    assertThat(at(statefulSet(), "spec", "replicas")).isEqualTo(3);
    Map<String, Object> resources = map(container().get("resources"));
    assertThat(map(resources.get("requests"))).containsKeys("cpu", "memory");
    assertThat(map(resources.get("limits"))).containsKey("memory");
    assertThat(at(object("PodDisruptionBudget/chatmesh"), "spec", "maxUnavailable")).isEqualTo(1);
  }

  @Test
  void imageIsTheOneTheBuildMakes() {
    assertThat(text(container(), "image")).isEqualTo(DeployYaml.IMAGE);
    Map<String, Object> image = map(list(kustomization.get("images")).get(0));
    assertThat(text(image, "name") + ":" + text(image, "newTag")).isEqualTo(DeployYaml.IMAGE);
  }

  /** Where kubectl is installed (it is not needed otherwise): its kustomize renders the same objects. */
  @Test
  void kubectlKustomizeRendersTheFolder() throws Exception {
    Path kubectl = Path.of("/usr/bin/kubectl");
    assumeTrue(Files.isExecutable(kubectl), "kubectl is not installed");
    ProcessBuilder pb = new ProcessBuilder(kubectl.toString(), "kustomize", K8S.toString());
    pb.environment().put("KUBECONFIG", "/dev/null");
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    Set<String> rendered = new TreeSet<>();
    for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(out)) {
      rendered.add(map(doc).get("kind") + "/" + text(doc, "metadata", "name"));
      if ("StatefulSet".equals(map(doc).get("kind"))) {
        assertThat(text(doc, "spec", "template", "spec", "containers", 0, "image")).isEqualTo(DeployYaml.IMAGE);
      }
    }
    assertThat(rendered).isEqualTo(new TreeSet<>(byKindAndName.keySet()));
  }
}

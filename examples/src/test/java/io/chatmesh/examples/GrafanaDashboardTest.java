package io.chatmesh.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The sample dashboard {@code examples/grafana/chatmesh-dashboard.json} is valid JSON with ten
 * panels, and every metric its PromQL names is one a demo node's {@code /metrics} exports.
 */
class GrafanaDashboardTest {
  private static final Path DASHBOARD = Path.of("grafana", "chatmesh-dashboard.json");
  /** Metric names in PromQL: chatmesh's own, and the JVM/process ones the demo binds. */
  private static final Pattern METRIC = Pattern.compile("\\b((?:chatmesh|jvm|process|system)_[a-zA-Z0-9_]+)");

  @Test
  void everyPanelQueriesMetricsTheDemoExports() throws Exception {
    JsonNode d = new ObjectMapper().readTree(Files.readString(DASHBOARD));
    JsonNode panels = d.path("panels");
    assertThat(panels.size()).isEqualTo(10);

    Set<String> exported;
    try (DemoNode n = DemoNode.start("g1", "127.0.0.1", 0, 0, List.of(), Duration.ofSeconds(2))) {
      exported = new PrometheusText(n.registry().scrape()).names();
    }
    assertThat(exported).contains("chatmesh_sends_accepted_total", "chatmesh_send_ack_seconds");

    List<String> exprs = new ArrayList<>();
    Set<Integer> ids = new HashSet<>();
    for (JsonNode p : panels) {
      assertThat(p.path("title").asText()).as("panel title").isNotBlank();
      assertThat(ids.add(p.path("id").asInt())).as("unique panel id " + p.path("id")).isTrue();
      assertThat(p.path("targets").size()).as(p.path("title").asText() + " has queries").isPositive();
      for (JsonNode t : p.path("targets")) {
        exprs.add(t.path("expr").asText());
      }
    }
    for (JsonNode v : d.path("templating").path("list")) {
      if (v.path("type").asText().equals("query")) {
        exprs.add(v.path("query").path("query").asText());
      }
    }
    for (String expr : exprs) {
      Matcher m = METRIC.matcher(expr);
      List<String> names = new ArrayList<>();
      while (m.find()) {
        names.add(m.group(1));
      }
      assertThat(names).as("metrics in " + expr).isNotEmpty();
      assertThat(exported).as("exported metrics, for " + expr).containsAll(names);
    }
  }
}

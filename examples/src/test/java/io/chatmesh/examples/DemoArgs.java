package io.chatmesh.examples;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * A demo command line as the options it gives, for tests of deployment files: parsed by the demo's
 * own picocli command (so an unknown or malformed option fails the test), values as written
 * (Kubernetes' {@code $(POD_NAME)} placeholders are not checked as node ids).
 */
final class DemoArgs {
  private DemoArgs() {}

  /** Option name without its leading {@code --} to the value given last. */
  static Map<String, String> options(String... args) {
    CommandLine.ParseResult parsed = Demo.commandLine().parseArgs(args);
    Map<String, String> out = new LinkedHashMap<>();
    for (OptionSpec o : parsed.matchedOptions()) {
      List<String> values = o.originalStringValues();
      out.put(o.longestName().replaceFirst("^--?", ""), values.isEmpty() ? "true" : values.get(values.size() - 1));
    }
    return out;
  }
}

package io.chatmesh.proto.compat;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumDescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumValueDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.Descriptors.FileDescriptor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Compares a schema against a baseline and lists the changes that would break a peer built from
 * the baseline (the rules of {@code proto/README.md}): a message, enum, enum value, service or
 * method removed; a field removed without reserving its number and name, renumbered, renamed,
 * changed in type or label, or moved into or out of a oneof; a reserved number or name no longer
 * reserved. Adding messages, fields, enum values, oneof members and methods is allowed. Stateless.
 */
final class SchemaCompatibility {
  private SchemaCompatibility() {}

  /**
   * The files of {@code roots} and everything they import, sorted by file name, as a descriptor set
   * (what protoc's {@code --descriptor_set_out --include_imports} writes, without source info).
   */
  static FileDescriptorSet descriptorSet(FileDescriptor... roots) {
    Map<String, FileDescriptorProto> files = new TreeMap<>();
    List<FileDescriptor> todo = new ArrayList<>(List.of(roots));
    while (!todo.isEmpty()) {
      FileDescriptor f = todo.remove(todo.size() - 1);
      if (files.putIfAbsent(f.getName(), f.toProto().toBuilder().clearSourceCodeInfo().build()) == null) {
        todo.addAll(f.getDependencies());
      }
    }
    return FileDescriptorSet.newBuilder().addAllFile(files.values()).build();
  }

  /** Every breaking change from {@code baseline} to {@code current}, one sentence each; empty if none. */
  static List<String> breakingChanges(FileDescriptorSet baseline, FileDescriptorSet current) {
    Index was = new Index(baseline);
    Index now = new Index(current);
    List<String> out = new ArrayList<>();
    compareAll("message", was.messages, now.messages, SchemaCompatibility::compareMessage, out);
    compareAll("enum", was.enums, now.enums, SchemaCompatibility::compareEnum, out);
    compareAll("service", was.services, now.services, SchemaCompatibility::compareService, out);
    return out;
  }

  private interface Comparison<T> {
    void compare(String name, T was, T now, List<String> out);
  }

  /** Every element of {@code was} must still exist in {@code now}, and compare well with it. */
  private static <T> void compareAll(
      String kind, Map<String, T> was, Map<String, T> now, Comparison<T> comparison, List<String> out) {
    was.forEach(
        (name, w) -> {
          T c = now.get(name);
          if (c == null) {
            out.add(kind + " " + name + " was removed (keep it; stop using it instead)");
          } else {
            comparison.compare(name, w, c, out);
          }
        });
  }

  private static void compareMessage(String name, DescriptorProto was, DescriptorProto now, List<String> out) {
    for (DescriptorProto.ReservedRange r : was.getReservedRangeList()) {
      for (int n = r.getStart(); n < r.getEnd(); n++) {
        if (!reservedNumber(now, n)) {
          out.add("message " + name + ": reserved number " + n + " is no longer reserved (never reuse a number)");
        }
      }
    }
    for (String r : was.getReservedNameList()) {
      if (!now.getReservedNameList().contains(r)) {
        out.add("message " + name + ": reserved name \"" + r + "\" is no longer reserved (never reuse a name)");
      }
    }
    for (FieldDescriptorProto f : was.getFieldList()) {
      String field = name + "." + f.getName() + " (number " + f.getNumber() + ")";
      FieldDescriptorProto c = byNumber(now, f.getNumber());
      if (c == null) {
        FieldDescriptorProto sameName = byName(now, f.getName());
        if (sameName != null) {
          out.add("field " + field + " was renumbered to " + sameName.getNumber());
        } else if (!reservedNumber(now, f.getNumber()) || !now.getReservedNameList().contains(f.getName())) {
          out.add(
              "field "
                  + field
                  + " was removed without reserving it: add `reserved "
                  + f.getNumber()
                  + "; reserved \""
                  + f.getName()
                  + "\";` to "
                  + name);
        }
        continue;
      }
      if (!c.getName().equals(f.getName())) {
        out.add("field " + field + " was renamed to " + c.getName());
      }
      if (c.getType() != f.getType() || !c.getTypeName().equals(f.getTypeName())) {
        out.add("field " + field + " changed type from " + type(f) + " to " + type(c));
      }
      if (c.getLabel() != f.getLabel()) {
        out.add("field " + field + " changed label from " + f.getLabel() + " to " + c.getLabel());
      }
      String oneofWas = oneof(was, f);
      String oneofNow = oneof(now, c);
      if (!Objects.equals(oneofWas, oneofNow)) {
        out.add(
            "field "
                + field
                + " moved from "
                + (oneofWas == null ? "no oneof" : "oneof " + oneofWas)
                + " to "
                + (oneofNow == null ? "no oneof" : "oneof " + oneofNow));
      }
    }
  }

  private static void compareEnum(String name, EnumDescriptorProto was, EnumDescriptorProto now, List<String> out) {
    for (EnumValueDescriptorProto v : was.getValueList()) {
      EnumValueDescriptorProto c =
          now.getValueList().stream().filter(x -> x.getNumber() == v.getNumber()).findFirst().orElse(null);
      String value = name + "." + v.getName() + " (number " + v.getNumber() + ")";
      if (c == null) {
        boolean reserved =
            now.getReservedRangeList().stream().anyMatch(r -> r.getStart() <= v.getNumber() && v.getNumber() <= r.getEnd());
        if (!reserved || !now.getReservedNameList().contains(v.getName())) {
          out.add("enum value " + value + " was removed without reserving its number and name");
        }
      } else if (!c.getName().equals(v.getName())) {
        out.add("enum value " + value + " was renamed to " + c.getName());
      }
    }
  }

  private static void compareService(String name, ServiceDescriptorProto was, ServiceDescriptorProto now, List<String> out) {
    for (MethodDescriptorProto m : was.getMethodList()) {
      MethodDescriptorProto c =
          now.getMethodList().stream().filter(x -> x.getName().equals(m.getName())).findFirst().orElse(null);
      String method = name + "/" + m.getName();
      if (c == null) {
        out.add("method " + method + " was removed");
        continue;
      }
      if (!c.getInputType().equals(m.getInputType()) || !c.getOutputType().equals(m.getOutputType())) {
        out.add(
            "method " + method + " changed from (" + m.getInputType() + ") returns (" + m.getOutputType() + ") to ("
                + c.getInputType() + ") returns (" + c.getOutputType() + ")");
      }
      if (c.getClientStreaming() != m.getClientStreaming() || c.getServerStreaming() != m.getServerStreaming()) {
        out.add("method " + method + " changed streaming");
      }
    }
  }

  private static String type(FieldDescriptorProto f) {
    return f.getTypeName().isEmpty() ? f.getType().toString() : f.getType() + " " + f.getTypeName();
  }

  /** The real (not proto3-optional synthetic) oneof containing {@code f}, or null. */
  private static String oneof(DescriptorProto m, FieldDescriptorProto f) {
    if (!f.hasOneofIndex() || f.getProto3Optional()) {
      return null;
    }
    return m.getOneofDecl(f.getOneofIndex()).getName();
  }

  private static FieldDescriptorProto byNumber(DescriptorProto m, int number) {
    return m.getFieldList().stream().filter(f -> f.getNumber() == number).findFirst().orElse(null);
  }

  private static FieldDescriptorProto byName(DescriptorProto m, String name) {
    return m.getFieldList().stream().filter(f -> f.getName().equals(name)).findFirst().orElse(null);
  }

  private static boolean reservedNumber(DescriptorProto m, int n) {
    // message reserved ranges are end-exclusive
    return m.getReservedRangeList().stream().anyMatch(r -> r.getStart() <= n && n < r.getEnd());
  }

  /** Messages, enums and services of a descriptor set by fully qualified name (".pkg.Outer.Inner"). */
  private static final class Index {
    final Map<String, DescriptorProto> messages = new LinkedHashMap<>();
    final Map<String, EnumDescriptorProto> enums = new LinkedHashMap<>();
    final Map<String, ServiceDescriptorProto> services = new LinkedHashMap<>();

    Index(FileDescriptorSet set) {
      List<FileDescriptorProto> files = new ArrayList<>(set.getFileList());
      files.sort(Comparator.comparing(FileDescriptorProto::getName));
      for (FileDescriptorProto f : files) {
        String prefix = f.getPackage().isEmpty() ? "" : "." + f.getPackage();
        f.getMessageTypeList().forEach(m -> message(prefix, m));
        f.getEnumTypeList().forEach(e -> enums.put(prefix + "." + e.getName(), e));
        f.getServiceList().forEach(s -> services.put(prefix + "." + s.getName(), s));
      }
    }

    private void message(String prefix, DescriptorProto m) {
      String name = prefix + "." + m.getName();
      messages.put(name, m);
      m.getNestedTypeList().forEach(n -> message(name, n));
      m.getEnumTypeList().forEach(e -> enums.put(name + "." + e.getName(), e));
    }
  }
}

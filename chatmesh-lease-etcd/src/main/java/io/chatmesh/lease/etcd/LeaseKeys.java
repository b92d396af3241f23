package io.chatmesh.lease.etcd;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * The etcd keys of the room leases and their values. Per room: {@code <prefix>holder/<room>}, on an
 * etcd lease, with the value {@code "<epoch> <node>"} while someone holds the room; and {@code
 * <prefix>epoch/<room>}, without a lease and never deleted, with the newest epoch granted; and,
 * once the room was deleted (retired) and until it is created again, {@code <prefix>retired/<room>},
 * without a lease, with the epoch of the lease that retired it. Room
 * names and node ids are identifiers ({@code [A-Za-z0-9._-]}), so they need no escaping. Immutable.
 */
final class LeaseKeys {
  private final String prefix;

  LeaseKeys(String prefix) {
    if (prefix.isEmpty() || !prefix.endsWith("/")) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "etcd key prefix must be non-empty and end with '/', got '" + prefix + "'");
    }
    this.prefix = prefix;
  }

  ByteSequence holder(String room) {
    return bytes(prefix + "holder/" + room);
  }

  ByteSequence epoch(String room) {
    return bytes(prefix + "epoch/" + room);
  }

  ByteSequence retired(String room) {
    return bytes(prefix + "retired/" + room);
  }

  static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  static ByteSequence holderValue(long epoch, NodeId node) {
    return bytes(epoch + " " + node.value());
  }

  static long epochOf(@Nullable KeyValue kv) {
    return kv == null ? 0 : Long.parseLong(kv.getValue().toString(StandardCharsets.UTF_8).trim());
  }

  /** The epoch and node of a holder key's value. */
  record Holder(long epoch, NodeId node, long etcdLease) {
    static Holder of(KeyValue kv) {
      String v = kv.getValue().toString(StandardCharsets.UTF_8);
      int space = v.indexOf(' ');
      if (space < 1) {
        throw new ChatException(ErrorCode.INTERNAL, "malformed lease value in etcd: '" + v + "'");
      }
      return new Holder(Long.parseLong(v.substring(0, space)), NodeId.of(v.substring(space + 1)), kv.getLease());
    }
  }
}

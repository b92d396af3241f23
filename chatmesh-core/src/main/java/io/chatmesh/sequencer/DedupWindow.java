package io.chatmesh.sequencer;

import io.chatmesh.UserId;

/**
 * The sequencer's deduplication window: an exact map {@code (user, client message id) -> seq} that
 * keeps the newest {@code capacity} keys in insertion order (putting a key that is already present
 * updates its seq and keeps its place), like a {@link java.util.LinkedHashMap} with {@code
 * removeEldestEntry}, but without any object per entry: the entries live in parallel arrays used as
 * a FIFO ring, and an open-addressing table (linear probing, backward-shift deletion) of ring
 * indexes finds them. A lookup compares the full key ({@code equals} of both parts) - the hash
 * only narrows the search - so two different ids never match.
 *
 * <p>Memory: about 26 bytes per entry (user and id references, seq, hash, index slot); the user and
 * id objects are the ones of the sequenced entry, not copies. The arrays grow by doubling up to
 * {@code capacity}, so a quiet room does not pay for a full window.
 *
 * <p>Not thread-safe (used on a room's lane only).
 */
final class DedupWindow {
  private static final int MIN_RING = 16;

  private final int capacity;
  // the ring: entry i of age order is at (head + i) % ring length
  private UserId[] users;
  private String[] ids;
  private long[] seqs;
  private int[] hashes;
  private int head;
  private int size;
  // open addressing: slot -> ring index + 1, 0 = empty; length a power of two, load <= 0.75
  private int[] table;
  private int mask;

  DedupWindow(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1, was " + capacity);
    }
    this.capacity = capacity;
    allocate(Math.min(capacity, MIN_RING));
  }

  int size() {
    return size;
  }

  int capacity() {
    return capacity;
  }

  /** The seq of this key, or {@code absent} when it is not in the window. */
  long get(UserId user, String id, long absent) {
    int r = find(user, id, hash(user, id));
    return r < 0 ? absent : seqs[r];
  }

  /** Remembers {@code key -> seq}; a new key evicts the eldest when the window is full. */
  void put(UserId user, String id, long seq) {
    int h = hash(user, id);
    int r = find(user, id, h);
    if (r >= 0) {
      seqs[r] = seq;
      return;
    }
    if (size == capacity) {
      removeEldest();
    } else if (size == users.length) {
      grow();
    }
    r = (head + size) % users.length;
    users[r] = user;
    ids[r] = id;
    seqs[r] = seq;
    hashes[r] = h;
    size++;
    int slot = h & mask;
    while (table[slot] != 0) {
      slot = (slot + 1) & mask;
    }
    table[slot] = r + 1;
  }

  private int find(UserId user, String id, int h) {
    for (int slot = h & mask; ; slot = (slot + 1) & mask) {
      int t = table[slot];
      if (t == 0) {
        return -1;
      }
      int r = t - 1;
      if (hashes[r] == h && ids[r].equals(id) && users[r].equals(user)) {
        return r;
      }
    }
  }

  private void removeEldest() {
    int r = head;
    int slot = hashes[r] & mask;
    while (table[slot] != r + 1) {
      slot = (slot + 1) & mask;
    }
    deleteSlot(slot);
    users[r] = null;
    ids[r] = null;
    head = (head + 1) % users.length;
    size--;
  }

  /** Backward-shift deletion: moves later entries of the probe run into the hole so lookups stay correct. */
  private void deleteSlot(int hole) {
    int i = hole;
    int j = hole;
    while (true) {
      j = (j + 1) & mask;
      int t = table[j];
      if (t == 0) {
        break;
      }
      int home = hashes[t - 1] & mask;
      // the entry at j may move to i only if its home slot is not cyclically within (i, j]
      boolean stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (!stays) {
        table[i] = t;
        i = j;
      }
    }
    table[i] = 0;
  }

  private void grow() {
    int n = (int) Math.min(capacity, 2L * users.length);
    UserId[] u = users;
    String[] d = ids;
    long[] s = seqs;
    int[] h = hashes;
    int oldHead = head;
    int count = size;
    allocate(n);
    for (int k = 0; k < count; k++) {
      int from = (oldHead + k) % u.length;
      users[k] = u[from];
      ids[k] = d[from];
      seqs[k] = s[from];
      hashes[k] = h[from];
      int slot = hashes[k] & mask;
      while (table[slot] != 0) {
        slot = (slot + 1) & mask;
      }
      table[slot] = k + 1;
    }
    size = count;
  }

  private void allocate(int ring) {
    users = new UserId[ring];
    ids = new String[ring];
    seqs = new long[ring];
    hashes = new int[ring];
    head = 0;
    size = 0;
    int t = Integer.highestOneBit(Math.max(2, ring * 4 / 3 + 1) - 1) << 1; // smallest power of two > ring * 4/3
    table = new int[t];
    mask = t - 1;
  }

  private static int hash(UserId user, String id) {
    int h = user.value().hashCode() * 31 + id.hashCode();
    h *= 0x9E3779B9;
    return h ^ (h >>> 16);
  }
}

package io.chatmesh.testkit;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * A tiny seeded fuzz runner for plain JUnit tests (issue 11): {@link #forAll} checks a property
 * against {@code tries} inputs, each drawn from its own {@link Random}, and stops at the first
 * failure with an {@link AssertionError} that names the property, the try, its seed, the input and
 * the command-line flags that replay exactly that input.
 *
 * <p>Settings (system properties, passed through by Maven's {@code -D}): {@code chatmesh.fuzz.tries}
 * (default {@value #DEFAULT_TRIES}; {@code 100000} for the full run) and {@code chatmesh.fuzz.seed}
 * (default {@value #DEFAULT_SEED}, so every run draws the same inputs). Try {@code i} uses the seed
 * {@code base + i * 0x9E3779B97F4A7C15L}; try 0 uses {@code base} itself, so {@code
 * -Dchatmesh.fuzz.seed=S -Dchatmesh.fuzz.tries=1} replays the try that had seed {@code S}.
 *
 * <p>The static generators ({@link #bytes}, {@link #mutate(byte[], Random, int)}, {@link
 * #splice}, {@link #pick}, {@link #string}) draw only from the {@link Random} they are given.
 *
 * <p>Thread-safety: single-threaded; a property runs on the calling thread, one try after another.
 * Errors: a bad setting throws {@link IllegalArgumentException}.
 */
public final class Fuzz {
  /** Tries per property unless {@code -Dchatmesh.fuzz.tries} says otherwise. */
  public static final int DEFAULT_TRIES = 2000;

  /** The base seed unless {@code -Dchatmesh.fuzz.seed} says otherwise. */
  public static final long DEFAULT_SEED = 20261101L;

  private static final long GOLDEN = 0x9E3779B97F4A7C15L;
  private static final int MAX_RENDERED = 240;

  /** The property checked on each input: returns normally, or throws to report a failure. */
  @FunctionalInterface
  public interface Property<T> {
    /**
     * Checks one input.
     *
     * @param input the generated input
     * @throws Exception when the property does not hold
     */
    void check(T input) throws Exception;
  }

  private Fuzz() {}

  /**
   * Checks {@code property} on {@code tries} inputs from {@code inputs}; the property's name is the
   * calling test method's.
   *
   * @param inputs draws one input from the try's {@link Random}
   * @param property the property
   * @param <T> the input type
   * @throws AssertionError at the first try that fails (or whose generator fails), with its seed
   * @return the number of tries run
   */
  public static <T> int forAll(Function<Random, T> inputs, Property<T> property) {
    StackWalker.StackFrame caller = StackWalker.getInstance()
        .walk(s -> s.skip(1).findFirst().orElseThrow());
    String test = simpleName(caller.getClassName()) + "#" + caller.getMethodName();
    int tries = tries();
    long base = seed();
    for (int i = 0; i < tries; i++) {
      long seed = base + i * GOLDEN;
      T input = null;
      try {
        input = inputs.apply(new Random(mix(seed)));
        property.check(input);
      } catch (Exception | AssertionError e) {
        throw new AssertionError(String.format(
            "property %s failed at try %d of %d (seed %d)%n  input: %s%n"
                + "  replay: -Dtest='%s' -Dchatmesh.fuzz.seed=%d -Dchatmesh.fuzz.tries=1%n  cause: %s",
            test, i + 1, tries, seed, render(input), test, seed, e), e);
      }
    }
    return tries;
  }

  /** Tries per property: {@code -Dchatmesh.fuzz.tries}, default {@value #DEFAULT_TRIES}. */
  public static int tries() {
    String s = System.getProperty("chatmesh.fuzz.tries");
    int tries = s == null || s.isBlank() ? DEFAULT_TRIES : Integer.parseInt(s.strip());
    if (tries < 1) {
      throw new IllegalArgumentException("chatmesh.fuzz.tries must be at least 1, was " + s);
    }
    return tries;
  }

  /** The base seed: {@code -Dchatmesh.fuzz.seed}, default {@value #DEFAULT_SEED}. */
  public static long seed() {
    String s = System.getProperty("chatmesh.fuzz.seed");
    return s == null || s.isBlank() ? DEFAULT_SEED : Long.parseLong(s.strip());
  }

  /**
   * Random bytes.
   *
   * @param r the source
   * @param minLength the shortest length
   * @param maxLength the longest length (inclusive)
   * @return between {@code minLength} and {@code maxLength} random bytes
   */
  public static byte[] bytes(Random r, int minLength, int maxLength) {
    byte[] b = new byte[minLength + r.nextInt(maxLength - minLength + 1)];
    r.nextBytes(b);
    return b;
  }

  /**
   * A copy of {@code valid} with 1 to {@code maxMutations} mutations, each one of: flip a bit,
   * overwrite a byte, write {@code 0xff} or {@code 0x80} (varint continuation, huge lengths),
   * insert a byte, delete a byte, truncate.
   *
   * @param valid the input to mutate (not changed)
   * @param r the source
   * @param maxMutations at least 1
   * @return the mutated copy (possibly empty)
   */
  public static byte[] mutate(byte[] valid, Random r, int maxMutations) {
    byte[] b = valid.clone();
    int mutations = 1 + r.nextInt(maxMutations);
    for (int i = 0; i < mutations && b.length > 0; i++) {
      int at = r.nextInt(b.length);
      switch (r.nextInt(6)) {
        case 0 -> b[at] ^= (byte) (1 << r.nextInt(8));
        case 1 -> b[at] = (byte) r.nextInt(256);
        case 2 -> b[at] = (byte) (r.nextBoolean() ? 0xff : 0x80);
        case 3 -> {
          byte[] c = new byte[b.length + 1];
          System.arraycopy(b, 0, c, 0, at);
          c[at] = (byte) r.nextInt(256);
          System.arraycopy(b, at, c, at + 1, b.length - at);
          b = c;
        }
        case 4 -> {
          byte[] c = new byte[b.length - 1];
          System.arraycopy(b, 0, c, 0, at);
          System.arraycopy(b, at + 1, c, at, b.length - at - 1);
          b = c;
        }
        default -> b = Arrays.copyOf(b, at);
      }
    }
    return b;
  }

  /**
   * {@code valid} with, at a random position (often its end), 0 to {@code maxInsert} characters
   * from {@code alphabet} inserted and 0 to {@code maxCut} characters after them deleted.
   *
   * @param valid the string to mutate
   * @param r the source
   * @param alphabet the characters to insert
   * @param maxInsert the most characters inserted
   * @param maxCut the most characters deleted
   * @return the mutated string
   */
  public static String splice(String valid, Random r, String alphabet, int maxInsert, int maxCut) {
    int at = Math.min(r.nextInt(120), valid.length());
    StringBuilder insert = new StringBuilder();
    for (int n = r.nextInt(maxInsert + 1); n > 0; n--) {
      insert.append(alphabet.charAt(r.nextInt(alphabet.length())));
    }
    int cut = r.nextInt(maxCut + 1);
    return valid.substring(0, at) + insert + valid.substring(Math.min(valid.length(), at + cut));
  }

  /**
   * One element, uniformly.
   *
   * @param r the source
   * @param from a non-empty list
   * @param <T> the element type
   * @return an element of {@code from}
   */
  public static <T> T pick(Random r, List<T> from) {
    return from.get(r.nextInt(from.size()));
  }

  /**
   * A random string of 0 to {@code maxLength} UTF-16 chars: a mix of printable ASCII, control
   * characters (C0, DEL, C1), URL punctuation and any BMP char (lone surrogates included).
   *
   * @param r the source
   * @param maxLength the longest length
   * @return the string
   */
  public static String string(Random r, int maxLength) {
    int length = r.nextInt(maxLength + 1);
    StringBuilder s = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      s.append(switch (r.nextInt(4)) {
        case 0 -> (char) (0x20 + r.nextInt(0x5f));
        case 1 -> (char) (r.nextBoolean() ? r.nextInt(0x20) : 0x7f + r.nextInt(0x21));
        case 2 -> ":/@?&=;%#\\ .".charAt(r.nextInt(12));
        default -> (char) r.nextInt(0x10000);
      });
    }
    return s.toString();
  }

  /** A short, printable rendering: hex for byte arrays, escaped text for strings. */
  static String render(Object input) {
    String s;
    if (input instanceof byte[] b) {
      s = b.length + " bytes " + HexFormat.of().formatHex(b);
    } else if (input instanceof String str) {
      StringBuilder e = new StringBuilder("\"");
      str.chars().forEach(c -> e.append(c >= 0x20 && c < 0x7f && c != '"' && c != '\\'
          ? String.valueOf((char) c) : String.format("\\u%04x", c)));
      s = e.append('"').toString();
    } else {
      s = String.valueOf(input);
    }
    return s.length() <= MAX_RENDERED ? s : s.substring(0, MAX_RENDERED) + "... (" + s.length() + " chars)";
  }

  private static String simpleName(String className) {
    return className.substring(className.lastIndexOf('.') + 1);
  }

  /** SplitMix64's finalizer: neighbouring seeds give unrelated {@link Random} streams. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}

package io.chatmesh.history.jdbc;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/** Turns the short history URL forms into JDBC URLs, and hides passwords in messages. */
final class HistoryUrls {
  /** Name of the database files inside an {@code h2:<directory>}. */
  static final String H2_FILE_NAME = "chatmesh";

  private static final Pattern PASSWORD_PARAM = Pattern.compile("(?i)(password=)[^&;]*");
  private static final Pattern USERINFO_PASSWORD = Pattern.compile("(//[^/@:]*:)[^/@]*@");
  /** A user-info part that is safe to show: {@code scheme://user} or {@code scheme://user:***}. */
  private static final Pattern SAFE_USERINFO = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*://[^/@:]*(:\\*\\*\\*)?");

  private HistoryUrls() {}

  /**
   * {@code h2:<directory>} → an H2 file database {@code <directory>/chatmesh.mv.db}; {@code
   * postgresql://[user[:password]@]host[:port]/db[?params]} (also {@code postgres://}) → pgjdbc's
   * {@code jdbc:postgresql://host:port/db?user=..&password=..}; a {@code jdbc:} URL as it is.
   */
  static String toJdbcUrl(String spec) {
    if (spec == null || spec.isBlank()) {
      throw bad("history URL must not be null or blank");
    }
    String s = spec.trim();
    if (s.startsWith("jdbc:")) {
      return s;
    }
    if (s.startsWith("h2:")) {
      String dir = s.substring("h2:".length());
      if (dir.isBlank()) {
        throw bad("history URL '" + s + "' names no directory: use h2:<directory>, e.g. h2:./data");
      }
      if (dir.contains(";")) {
        throw bad("history URL '" + s + "': the directory must not contain ';' (use a jdbc:h2: URL for settings)");
      }
      try {
        Path file = Path.of(dir).toAbsolutePath().normalize().resolve(H2_FILE_NAME);
        return "jdbc:h2:file:" + file;
      } catch (InvalidPathException e) {
        throw bad("history URL '" + s + "' has an invalid directory: " + e.getMessage());
      }
    }
    for (String scheme : new String[] {"postgresql://", "postgres://"}) {
      if (s.startsWith(scheme)) {
        return postgres(s, s.substring(scheme.length()));
      }
    }
    throw bad(
        "history URL '" + redact(s) + "' is not supported: use h2:<directory>, "
            + "postgresql://host:port/database?user=..&password=.. (also CockroachDB), or a jdbc:h2:/jdbc:postgresql: URL");
  }

  private static String postgres(String spec, String rest) {
    String userInfo = null;
    int slash = rest.indexOf('/');
    int at = rest.lastIndexOf('@', slash < 0 ? rest.length() : slash);
    if (at >= 0) {
      userInfo = rest.substring(0, at);
      rest = rest.substring(at + 1);
    }
    String hostPart = rest.split("[/?]", 2)[0];
    if (hostPart.isBlank()) {
      throw bad("history URL '" + redact(spec) + "' names no host: use postgresql://host:port/database");
    }
    StringBuilder url = new StringBuilder("jdbc:postgresql://").append(rest);
    if (userInfo != null && !userInfo.isEmpty()) {
      int colon = userInfo.indexOf(':');
      String user = colon < 0 ? userInfo : userInfo.substring(0, colon);
      String password = colon < 0 ? null : userInfo.substring(colon + 1);
      url.append(rest.contains("?") ? '&' : '?').append("user=").append(enc(user));
      if (password != null) {
        url.append("&password=").append(enc(password));
      }
    }
    return url.toString();
  }

  private static String enc(String s) {
    try {
      return URLEncoder.encode(java.net.URLDecoder.decode(s, StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) { // '%' not followed by two hex digits
      throw bad("history URL: the user name or password has an invalid %-escape (write '%' as %25)");
    }
  }

  /** The URL with any password replaced by {@code ***}, for messages and logs. */
  static String redact(String url) {
    String r = PASSWORD_PARAM.matcher(url).replaceAll("$1***");
    r = USERINFO_PASSWORD.matcher(r).replaceAll("$1***@");
    // a mistyped URL (postgresql:u:pw@db, postgresql/u:pw@db, ...) may hide a password anywhere
    // before its last '@': show none of it
    int at = r.lastIndexOf('@');
    if (at >= 0 && !SAFE_USERINFO.matcher(r.substring(0, at)).matches()) {
      r = "***" + r.substring(at);
    }
    return r;
  }

  private static ChatException bad(String message) {
    return new ChatException(ErrorCode.BAD_REQUEST, message);
  }
}

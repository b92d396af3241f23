package io.chatmesh.history.jdbc;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Wraps a real data source and calls a {@link Hook} before {@code executeBatch} on prepared
 * statements and before {@code commit} on connections, so tests can inject an SQLException (e.g.
 * SQLSTATE 40001 as CockroachDB sends it) or hold the writer at a point.
 */
final class FaultInjectingDataSource implements DataSource {
  /** Called before the intercepted operation; may throw or block. */
  interface Hook {
    void before(String operation) throws SQLException;
  }

  private final DataSource delegate;
  private volatile Hook hook = op -> {};

  FaultInjectingDataSource(DataSource delegate) {
    this.delegate = delegate;
  }

  void hook(Hook hook) {
    this.hook = hook;
  }

  @Override
  public Connection getConnection() throws SQLException {
    return wrap(delegate.getConnection());
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    return wrap(delegate.getConnection(username, password));
  }

  private Connection wrap(Connection real) {
    InvocationHandler h =
        (proxy, method, args) -> {
          if (method.getName().equals("commit")) {
            hook.before("commit");
          }
          Object result = invoke(real, method, args);
          if (method.getName().equals("prepareStatement") && result instanceof PreparedStatement ps) {
            return wrapStatement(ps);
          }
          return result;
        };
    return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class}, h);
  }

  private PreparedStatement wrapStatement(PreparedStatement real) {
    InvocationHandler h =
        (proxy, method, args) -> {
          if (method.getName().equals("executeBatch")) {
            hook.before("executeBatch");
          }
          return invoke(real, method, args);
        };
    return (PreparedStatement)
        Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {PreparedStatement.class}, h);
  }

  private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  @Override
  public PrintWriter getLogWriter() throws SQLException {
    return delegate.getLogWriter();
  }

  @Override
  public void setLogWriter(PrintWriter out) throws SQLException {
    delegate.setLogWriter(out);
  }

  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    delegate.setLoginTimeout(seconds);
  }

  @Override
  public int getLoginTimeout() throws SQLException {
    return delegate.getLoginTimeout();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    return delegate.getParentLogger();
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    return delegate.unwrap(iface);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) throws SQLException {
    return delegate.isWrapperFor(iface);
  }
}

// RepositoryListener.java -- the repository stand-in as a webapp: bootstraps or checks the schema on start, slow to stop.
package org.alfup.standin;

import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * What the agent can observe of an Alfresco repository inside Tomcat, as
 * tests/standins/alfresco_standin.c does outside it: reads
 * alfresco-global.properties from shared/classes (Tomcat's shared.loader),
 * holds one JDBC connection to PostgreSQL while it runs (as the repository's
 * pool does), bootstraps an empty database (alf_applied_patch) or checks its
 * schema, logs the startup lines, and marks itself ready for ReadyProbeServlet.
 * On shutdown it takes standin.shutdown.delay.ms (default 9000), longer than
 * the 5 s `catalina.sh stop` waits, as a real repository commonly does. A
 * failure throws, so Tomcat logs "One or more listeners failed to start".
 */
public final class RepositoryListener implements ServletContextListener {
    static final String READY_ATTRIBUTE = "org.alfup.standin.ready";
    private static final String SCHEMA_QUERY =
        "select min(applied_to_schema) from alf_applied_patch where applied_to_schema > -1";
    private static final long DEFAULT_SHUTDOWN_DELAY_MS = 9000L;

    private Connection connection;
    private long shutdownDelayMs = DEFAULT_SHUTDOWN_DELAY_MS;

    @Override
    public void contextInitialized(ServletContextEvent event) {
        ServletContext context = event.getServletContext();
        long started = System.currentTimeMillis();
        Properties settings = loadSettings();
        String version = settings.getProperty("standin.version", "23.1.0");
        int schema = Integer.parseInt(settings.getProperty("standin.schema", "19200"));
        shutdownDelayMs = Long.parseLong(settings.getProperty("standin.shutdown.delay.ms",
                                                              Long.toString(DEFAULT_SHUTDOWN_DELAY_MS)));
        String url = required(settings, "db.url");
        try {
            connection = DriverManager.getConnection(url, required(settings, "db.username"),
                                                     required(settings, "db.password"));
            StandinLog.info("domain.schema.SchemaBootstrap", "Connected to database PostgreSQL version "
                            + connection.getMetaData().getDatabaseProductVersion() + " (" + url + ")");
            int installed = checkSchema(version, schema);
            StandinLog.info("domain.schema.SchemaBootstrap", "Compared database schema with reference schema (all OK)");
            StandinLog.info("service.descriptor.DescriptorService", "Alfresco Content Services started (Enterprise)."
                            + " Current version: " + version + " schema " + installed + " (webapp stand-in, "
                            + (System.currentTimeMillis() - started) + " ms)");
        } catch (SQLException e) {
            StandinLog.log("ERROR", "domain.schema.SchemaBootstrap", "Cannot connect to database " + url + " or use it: "
                           + e.getMessage());
            throw new IllegalStateException("repository stand-in: " + e.getMessage(), e);
        }
        context.setAttribute(READY_ATTRIBUTE, Boolean.TRUE);
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        event.getServletContext().removeAttribute(READY_ATTRIBUTE);
        StandinLog.info("repo.management.subsystems", "Stopping the repository: shutting down takes "
                        + shutdownDelayMs + " ms (standin.shutdown.delay.ms)");
        try {
            Thread.sleep(shutdownDelayMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (connection != null)
                connection.close();
        } catch (SQLException e) {
            StandinLog.log("WARN", "domain.schema.SchemaBootstrap", "closing the database connection: " + e.getMessage());
        }
        StandinLog.info("repo.management.subsystems", "Repository stopped");
    }

    private static Properties loadSettings() {
        Properties settings = new Properties();
        ClassLoader loader = RepositoryListener.class.getClassLoader();
        try (InputStream in = loader.getResourceAsStream("alfresco-global.properties")) {
            if (in == null)
                throw new IllegalStateException("alfresco-global.properties is not on the class path (shared/classes)");
            settings.load(in);
        } catch (IOException e) {
            throw new IllegalStateException("alfresco-global.properties: " + e.getMessage(), e);
        }
        return settings;
    }

    private static String required(Properties settings, String key) {
        String value = settings.getProperty(key);
        if (value == null || value.isEmpty())
            throw new IllegalStateException("alfresco-global.properties: " + key + " is not set");
        return value.trim();
    }

    /* The installed schema: bootstraps an empty database, refuses a newer one. */
    private int checkSchema(String version, int schema) throws SQLException {
        try (Statement st = connection.createStatement()) {
            try (ResultSet rs = st.executeQuery("select to_regclass('alf_bootstrap_lock') is not null,"
                                                + " to_regclass('alf_applied_patch') is not null")) {
                rs.next();
                if (rs.getBoolean(1))
                    throw new SQLException("A previous schema upgrade failed or was not completed."
                                           + " (table alf_bootstrap_lock exists)");
                if (!rs.getBoolean(2)) {
                    bootstrap(st, version, schema);
                    return schema;
                }
            }
            try (ResultSet rs = st.executeQuery(SCHEMA_QUERY)) {
                rs.next();
                int installed = rs.getInt(1);
                if (installed > schema)
                    throw new SQLException("The database schema " + installed + " is newer than this server's schema "
                                           + schema);
                return installed;
            }
        }
    }

    private void bootstrap(Statement st, String version, int schema) throws SQLException {
        StandinLog.info("domain.schema.SchemaBootstrap", "Creating Alfresco tables (schema " + schema + ")");
        st.execute("create table alf_bootstrap_lock (charval varchar(8) not null primary key)");
        st.execute("create table alf_applied_patch (id varchar(64) primary key, description varchar(1024),"
                   + " fixes_from_schema integer, fixes_to_schema integer, applied_to_schema integer,"
                   + " target_schema integer, applied_on_date timestamp, applied_to_server varchar(64),"
                   + " was_executed boolean, succeeded boolean, report varchar(1024))");
        try (PreparedStatement insert = connection.prepareStatement(
                 "insert into alf_applied_patch values (?, 'bootstrap', 0, ?, ?, ?, now(), ?, true, true,"
                 + " 'applied by the webapp stand-in')")) {
            insert.setString(1, "patch.db-V" + version + "-Bootstrap");
            for (int i = 2; i <= 4; i++)
                insert.setInt(i, schema);
            insert.setString(5, version);
            insert.executeUpdate();
        }
        st.execute("drop table alf_bootstrap_lock");
    }
}

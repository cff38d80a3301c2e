// Drives the PostgreSQL JDBC driver against a server and prints what it sees, one fact per line.
//
// Usage: java -cp postgresql.jar:<classes> JdbcProbe <jdbc-url> <user> <password> <table>
//
// The driver is the interesting client here: after prepareThreshold (default 5) executions of a
// PreparedStatement it switches to a named server-side statement and binary results, and with
// autocommit off and a fetch size it reads results in chunks (Execute with a row limit, answered
// by PortalSuspended).  The test compares the printed lines with the values PostgreSQL returns.

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Properties;
import org.postgresql.PGStatement;

public final class JdbcProbe {
    private static final String TYPES_QUERY =
        "SELECT ?::int4 * 2 AS doubled, ?::text AS label, 1.5::float8 AS f, 123.45::numeric AS n,"
        + " true AS b, DATE '2024-02-29' AS d, TIMESTAMP '2024-02-29 13:14:15.123456' AS ts,"
        + " TIMESTAMPTZ '2024-02-29 13:14:15.123456+00' AS tstz,"
        + " '12345678-1234-5678-1234-567812345678'::uuid AS u, '\\x00ff'::bytea AS bin,"
        + " (2 ^ 40)::int8 AS big";

    private JdbcProbe() {
    }

    public static void main(String[] args) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", args[1]);
        properties.setProperty("password", args[2]);
        properties.setProperty("connectTimeout", "5");
        properties.setProperty("socketTimeout", "30");
        try (Connection conn = DriverManager.getConnection(args[0], properties)) {
            DatabaseMetaData meta = conn.getMetaData();
            System.out.println("product " + meta.getDatabaseProductName());
            preparedStatements(conn);
            batch(conn, args[3]);
            chunkedFetch(conn);
            errors(conn);
        }
    }

    private static void preparedStatements(Connection conn) throws SQLException {
        try (PreparedStatement statement = conn.prepareStatement(TYPES_QUERY)) {
            for (int run = 0; run < 10; run++) {
                statement.setInt(1, run);
                statement.setString(2, "run " + run);
                try (ResultSet rows = statement.executeQuery()) {
                    while (rows.next()) {
                        System.out.println("prepared " + run + " " + row(rows));
                    }
                }
            }
            boolean serverPrepared = statement.unwrap(PGStatement.class).isUseServerPrepare();
            System.out.println("server-prepared " + serverPrepared);
            ResultSetMetaData columns = statement.getMetaData();
            StringBuilder names = new StringBuilder();
            for (int column = 1; column <= columns.getColumnCount(); column++) {
                names.append(column == 1 ? "" : ",").append(columns.getColumnName(column))
                    .append(':').append(columns.getColumnTypeName(column));
            }
            System.out.println("columns " + names);
        }
    }

    private static void batch(Connection conn, String table) throws SQLException {
        try (Statement statement = conn.createStatement()) {
            statement.execute("CREATE TABLE " + table + " (id integer PRIMARY KEY, label text)");
        }
        try (PreparedStatement insert =
                 conn.prepareStatement("INSERT INTO " + table + " VALUES (?, ?)")) {
            for (int id = 1; id <= 5; id++) {
                insert.setInt(1, id);
                insert.setString(2, "label " + id);
                insert.addBatch();
            }
            System.out.println("batch " + Arrays.toString(insert.executeBatch()));
        }
        try (Statement statement = conn.createStatement();
             ResultSet rows = statement.executeQuery(
                 "SELECT count(*), sum(id), max(label) FROM " + table)) {
            rows.next();
            System.out.println("batch-check " + row(rows));
        }
    }

    private static void chunkedFetch(Connection conn) throws SQLException {
        conn.setAutoCommit(false);
        try (Statement statement = conn.createStatement()) {
            statement.setFetchSize(2);
            try (ResultSet rows = statement.executeQuery(
                     "SELECT g, 'row ' || g FROM generate_series(1, 7) AS g ORDER BY g")) {
                while (rows.next()) {
                    System.out.println("fetch " + row(rows));
                }
            }
        }
        conn.commit();
    }

    private static void errors(Connection conn) throws SQLException {
        try (Statement statement = conn.createStatement()) {
            try {
                statement.executeQuery("SELECT 1 / 0");
                System.out.println("error none");
            } catch (SQLException error) {
                System.out.println("error " + error.getSQLState() + " " + error.getMessage());
            }
            conn.rollback();
            try (ResultSet rows = statement.executeQuery("SELECT 'usable'")) {
                rows.next();
                System.out.println("after-error " + rows.getString(1));
            }
        }
        conn.commit();
    }

    private static String row(ResultSet rows) throws SQLException {
        StringBuilder line = new StringBuilder();
        int count = rows.getMetaData().getColumnCount();
        for (int column = 1; column <= count; column++) {
            Object value = rows.getObject(column);
            line.append(column == 1 ? "" : "|");
            line.append(value instanceof byte[] ? hex((byte[]) value) : String.valueOf(value));
        }
        return line.toString();
    }

    private static String hex(byte[] bytes) {
        StringBuilder text = new StringBuilder("0x");
        for (byte b : bytes) {
            text.append(String.format("%02x", b));
        }
        return text.toString();
    }
}

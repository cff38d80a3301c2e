// Drives the PostgreSQL JDBC driver against the inventory example (examples/app_example.py), a
// server whose answers come from a PostgresRequestHandler, and prints one fact per line.
//
// Usage: java -cp postgresql.jar:<classes> JdbcAppProbe <jdbc-url> <user> <password> <prefix>
//
// What it exercises: DatabaseMetaData.getColumns (the driver's catalog query, answered by the
// catalog emulation from the handler's Table declarations), INSERT ... RETURNING through
// executeQuery, a PreparedStatement run past prepareThreshold (named statement, binary results),
// UPDATE and DELETE counts, and chunked fetching (fetch size 3, autocommit off) from the
// generator-backed "numbers" view.  <prefix> makes the item names unique to this run.

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

public final class JdbcAppProbe {
    private JdbcAppProbe() {
    }

    public static void main(String[] args) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", args[1]);
        properties.setProperty("password", args[2]);
        properties.setProperty("connectTimeout", "5");
        properties.setProperty("socketTimeout", "30");
        String prefix = args[3];
        try (Connection conn = DriverManager.getConnection(args[0], properties)) {
            columns(conn.getMetaData());
            insert(conn, prefix);
            prepared(conn, prefix);
            modify(conn, prefix);
            chunkedFetch(conn);
        }
    }

    private static void columns(DatabaseMetaData meta) throws SQLException {
        StringBuilder line = new StringBuilder("columns");
        try (ResultSet rows = meta.getColumns(null, "public", "items", "%")) {
            while (rows.next()) {
                line.append(' ').append(rows.getString("COLUMN_NAME")).append(':')
                    .append(rows.getString("TYPE_NAME")).append(':')
                    .append(rows.getString("IS_NULLABLE"));
            }
        }
        System.out.println(line);
    }

    private static void insert(Connection conn, String prefix) throws SQLException {
        String sql = "INSERT INTO items (name, price, quantity) VALUES (?, ?, ?) RETURNING name, price";
        try (PreparedStatement statement = conn.prepareStatement(sql)) {
            for (int n = 1; n <= 3; n++) {
                statement.setString(1, prefix + " " + n);
                statement.setBigDecimal(2, new java.math.BigDecimal(n + ".25"));
                statement.setInt(3, n * 10);
                try (ResultSet rows = statement.executeQuery()) {
                    rows.next();
                    System.out.println("inserted " + rows.getString(1) + "|" + rows.getBigDecimal(2));
                }
            }
        }
    }

    private static void prepared(Connection conn, String prefix) throws SQLException {
        String sql = "SELECT name, price, quantity, active FROM items WHERE name = ?";
        try (PreparedStatement statement = conn.prepareStatement(sql)) {
            for (int run = 0; run < 7; run++) {
                statement.setString(1, prefix + " " + (run % 3 + 1));
                try (ResultSet rows = statement.executeQuery()) {
                    while (rows.next()) {
                        System.out.println("prepared " + run + " " + rows.getString(1) + "|"
                            + rows.getBigDecimal(2) + "|" + rows.getInt(3) + "|"
                            + rows.getBoolean(4));
                    }
                }
            }
        }
    }

    private static void modify(Connection conn, String prefix) throws SQLException {
        try (PreparedStatement update =
                 conn.prepareStatement("UPDATE items SET quantity = ? WHERE name = ?")) {
            update.setInt(1, 99);
            update.setString(2, prefix + " 2");
            System.out.println("updated " + update.executeUpdate());
        }
        try (PreparedStatement delete = conn.prepareStatement("DELETE FROM items WHERE name = ?")) {
            delete.setString(1, prefix + " 3");
            System.out.println("deleted " + delete.executeUpdate());
        }
    }

    private static void chunkedFetch(Connection conn) throws SQLException {
        conn.setAutoCommit(false);
        try (Statement statement = conn.createStatement()) {
            statement.setFetchSize(3);
            try (ResultSet rows = statement.executeQuery("SELECT n, square FROM numbers LIMIT 7")) {
                StringBuilder line = new StringBuilder("fetch");
                while (rows.next()) {
                    line.append(' ').append(rows.getLong(1)).append(':').append(rows.getLong(2));
                }
                System.out.println(line);
            }
        }
        conn.commit();
    }
}

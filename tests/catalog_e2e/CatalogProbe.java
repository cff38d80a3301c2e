// Prints what the PostgreSQL JDBC driver's metadata API reports about a database, one fact per
// line, for the end-to-end catalog tests to assert.
// Usage: java CatalogProbe <jdbc-url> <user> <table>...
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;

public class CatalogProbe {
    private static String cells(ResultSet rows, String... names) throws SQLException {
        StringBuilder line = new StringBuilder();
        for (String name : names) {
            String value = rows.getString(name);
            line.append(' ').append(value == null ? "NULL" : value);
        }
        return line.toString();
    }

    public static void main(String[] args) throws Exception {
        try (Connection conn = DriverManager.getConnection(args[0], args[1], "")) {
            DatabaseMetaData meta = conn.getMetaData();
            String[] kinds = {"TABLE", "VIEW"};
            try (ResultSet rows = meta.getTables(null, "public", "%", kinds)) {
                while (rows.next()) {
                    System.out.println("table" + cells(rows, "TABLE_SCHEM", "TABLE_NAME", "TABLE_TYPE"));
                }
            }
            try (ResultSet rows = meta.getSchemas()) {
                while (rows.next()) {
                    System.out.println("schema" + cells(rows, "TABLE_SCHEM"));
                }
            }
            int types = 0;
            StringBuilder known = new StringBuilder();
            try (ResultSet rows = meta.getTypeInfo()) {
                while (rows.next()) {
                    types++;
                    String name = rows.getString("TYPE_NAME");
                    if (name.equals("int4") || name.equals("text") || name.equals("numeric")) {
                        known.append(' ').append(name).append('=').append(rows.getInt("DATA_TYPE"));
                    }
                }
            }
            System.out.println("typeinfo " + (types > 50 ? "many" : String.valueOf(types)) + known);
            for (int i = 2; i < args.length; i++) {
                String table = args[i];
                try (ResultSet rows = meta.getColumns(null, "public", table, "%")) {
                    while (rows.next()) {
                        System.out.println("column " + table + cells(rows, "ORDINAL_POSITION",
                            "COLUMN_NAME", "TYPE_NAME", "DATA_TYPE", "COLUMN_SIZE", "DECIMAL_DIGITS",
                            "IS_NULLABLE", "IS_AUTOINCREMENT", "COLUMN_DEF"));
                    }
                }
                try (ResultSet rows = meta.getPrimaryKeys(null, "public", table)) {
                    while (rows.next()) {
                        System.out.println("pk " + table + cells(rows, "COLUMN_NAME", "KEY_SEQ", "PK_NAME"));
                    }
                }
                try (Statement query = conn.createStatement();
                     ResultSet rows = query.executeQuery("SELECT * FROM " + table)) {
                    ResultSetMetaData columns = rows.getMetaData();
                    for (int c = 1; c <= columns.getColumnCount(); c++) {
                        System.out.println("result " + table + " " + columns.getColumnName(c) + " "
                            + columns.getTableName(c) + " " + columns.isNullable(c) + " "
                            + columns.getColumnTypeName(c));
                    }
                }
            }
        }
    }
}

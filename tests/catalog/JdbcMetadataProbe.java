// Calls the DatabaseMetaData / ResultSetMetaData methods that make the PostgreSQL JDBC driver
// query the system catalogs.  Prints the backend PID first, so the test can pick this session's
// statements out of the server log.  Usage: java JdbcMetadataProbe <jdbc-url> <user>
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;

public class JdbcMetadataProbe {
    private static void drain(ResultSet rows) throws SQLException {
        while (rows.next()) {
            rows.getObject(1);
        }
        rows.close();
    }

    public static void main(String[] args) throws Exception {
        try (Connection conn = DriverManager.getConnection(args[0], args[1], "")) {
            try (Statement pid = conn.createStatement();
                 ResultSet rows = pid.executeQuery("SELECT pg_backend_pid()")) {
                rows.next();
                System.out.println(rows.getInt(1));
            }
            DatabaseMetaData meta = conn.getMetaData();
            drain(meta.getTables(null, "public", "%", null));
            drain(meta.getTables(null, null, "%", new String[] {"TABLE", "VIEW"}));
            drain(meta.getColumns(null, "public", "items", "%"));
            drain(meta.getColumns(null, null, "%", null));
            drain(meta.getPrimaryKeys(null, "public", "items"));
            drain(meta.getIndexInfo(null, "public", "items", false, false));
            drain(meta.getIndexInfo(null, "public", "users", true, true));
            drain(meta.getImportedKeys(null, "public", "items"));
            drain(meta.getExportedKeys(null, "public", "items"));
            drain(meta.getCrossReference(null, "public", "items", null, "public", "users"));
            drain(meta.getSchemas());
            drain(meta.getSchemas(null, "pub%"));
            drain(meta.getCatalogs());
            drain(meta.getTableTypes());
            drain(meta.getTypeInfo());
            drain(meta.getProcedures(null, "public", "%"));
            drain(meta.getProcedureColumns(null, "public", "%", "%"));
            drain(meta.getFunctions(null, "public", "%"));
            drain(meta.getFunctionColumns(null, "public", "%", "%"));
            drain(meta.getColumnPrivileges(null, "public", "items", "%"));
            drain(meta.getTablePrivileges(null, "public", "items"));
            drain(meta.getBestRowIdentifier(null, "public", "items", DatabaseMetaData.bestRowSession, true));
            drain(meta.getVersionColumns(null, "public", "items"));
            drain(meta.getUDTs(null, null, "%", null));
            drain(meta.getClientInfoProperties());
            meta.getSQLKeywords();
            meta.getMaxColumnNameLength();
            try (Statement query = conn.createStatement();
                 ResultSet rows = query.executeQuery("SELECT id, name, tags, amount FROM items")) {
                ResultSetMetaData columns = rows.getMetaData();
                for (int i = 1; i <= columns.getColumnCount(); i++) {
                    columns.isAutoIncrement(i);
                    columns.isNullable(i);
                    columns.getColumnTypeName(i);
                    columns.getTableName(i);
                    columns.getSchemaName(i);
                    columns.getPrecision(i);
                }
            }
        }
    }
}

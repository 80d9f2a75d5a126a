// Single-file launcher for a local Neo4j Community DBMS with Bolt on 127.0.0.1.
//
// Run with: java --add-opens=... -cp 'neo4j/lib/*' neo4j/LocalNeo4j.java HOME PORT PAGECACHE_MB
// (graph/server.py does this). It exists because there is no Docker here and the
// community tarball is not on Maven Central: org.neo4j:neo4j is, and it embeds Bolt.
//
// Prints "NEO4J READY bolt://127.0.0.1:PORT" once Bolt accepts connections, and shuts
// the DBMS down cleanly on SIGTERM/SIGINT (shutdown hook), so the store is never left
// needing recovery.
//
// Security: authentication is on (the password of user `neo4j` is taken from the
// environment variable NEO4J_LOCAL_AUTH_PASSWORD, never from the command line, and set on
// every start through the system database), LOAD CSV may not read file:/// URLs and there
// is no import directory. Only a benchmark (bench/bench_ingest.py, comparing the loader with
// LOAD CSV) sets NEO4J_LOCAL_IMPORT_DIR on its own throw-away server: LOAD CSV may then read
// file:/// URLs below that directory and nowhere else.
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

public class LocalNeo4j {
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: LocalNeo4j HOME PORT [PAGECACHE_MB]");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        int port = Integer.parseInt(args[1]);
        long pageCacheMb = args.length > 2 ? Long.parseLong(args[2]) : 512;
        Files.createDirectories(home);
        String password = System.getenv("NEO4J_LOCAL_AUTH_PASSWORD");
        if (password == null || password.length() < 8) {
            System.err.println("NEO4J_LOCAL_AUTH_PASSWORD must hold the password (8+ characters)");
            System.exit(2);
        }
        Path noImport = home.resolve("no-import");
        String importDir = System.getenv("NEO4J_LOCAL_IMPORT_DIR");
        boolean fileUrls = importDir != null && !importDir.isEmpty();
        Path importRoot = fileUrls ? Path.of(importDir).toAbsolutePath() : noImport;

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.routing_enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.allow_file_urls, fileUrls)
                .setConfig(GraphDatabaseSettings.load_csv_file_url_root, importRoot)
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(pageCacheMb))
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                .setConfig(GraphDatabaseSettings.transaction_timeout, Duration.ofMinutes(10))
                .build();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("NEO4J STOPPING");
            System.out.flush();
            dbms.shutdown();
            System.out.println("NEO4J STOPPED");
            System.out.flush();
            stopped.countDown();
        }, "neo4j-shutdown"));

        // The one account's password: set (again) on every start, so the file in var/ is the truth.
        // Neo4j refuses to "change" a password to the one it already has: that is the usual restart.
        try {
            dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME)
                    .executeTransactionally("ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED",
                            Map.of("pw", password));
        } catch (RuntimeException e) {
            String msg = String.valueOf(e.getMessage());
            Throwable c = e.getCause();
            while (c != null) { msg += " " + c.getMessage(); c = c.getCause(); }
            if (!msg.contains("Old password and new password cannot be the same")) {
                System.err.println("could not set the password of user neo4j: " + msg);
                dbms.shutdown();
                System.exit(1);
            }
        }
        // Touch the default database so the store exists before we report ready.
        dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME)
                .executeTransactionally("RETURN 1");
        System.out.println("NEO4J READY bolt://127.0.0.1:" + port);
        System.out.flush();
        stopped.await();
    }
}

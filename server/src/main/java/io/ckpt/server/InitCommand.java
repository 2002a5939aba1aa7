package io.ckpt.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.catalog.Catalog;
import io.ckpt.security.Credentials;
import io.ckpt.security.Role;
import io.ckpt.security.SecurityDir;
import io.ckpt.store.Datastore;
import io.ckpt.store.DatastoreLock;
import io.ckpt.store.StoreException;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ckpt server init}: the private CA, the server's TLS certificate and the first admin token. */
@Command(
        name = "init",
        mixinStandardHelpOptions = true,
        version = "ckpt 0.1.0",
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Sets up TLS and credentials for a datastore (docs/SECURITY.md): creates a private certificate authority (DATASTORE/security/ca.key and ca.crt), the server's key and certificate signed by it (server.key, server.crt; valid for every --name), and a first credential with the admin role, whose token is printed once and stored only as a hash.",
            "",
            "From then on the server speaks TLS and every client must authenticate: give clients the CA certificate (--tls-ca FILE, $CKPT_TLS_CA, or server.tls-ca in the agent config) and a token (--token-file FILE, $CKPT_TOKEN, server.token-file); make one per host with 'ckpt host add'. Keys are written mode 0600 in a directory of mode 0700.",
            "",
            "Runs with the server stopped (it takes the datastore's lock); creates the datastore if it does not exist. On a datastore already set up it refuses, unless --add-admin asks only for a new admin credential (a lost admin token, or a rebuilt catalog, which has no credentials)."
        },
        footer = {
            "",
            "Exit status: 0 done, 1 error (the message says what; nothing half-made is left in place of a CA), 2 bad usage.",
            "",
            "JSON (--json): {\"security_dir\", \"ca_certificate\", \"server_certificate\", \"names\": [...], \"admin\", \"token\"}.",
            "",
            "Examples:",
            "  ckpt server init --datastore /srv/ckpt --name ckpt.example.org --name 10.0.0.5",
            "  ckpt server init --datastore /srv/ckpt --add-admin --admin ops2 --token-file /root/ckpt-ops2.token",
            "  ckpt server init --datastore /srv/ckpt --renew-server-cert --name ckpt.example.org --name ckpt2.example.org"
        })
final class InitCommand implements Callable<Integer> {
    @Option(names = "--datastore", paramLabel = "DIR", required = true, description = "The datastore to set up.")
    Path datastore;

    @Option(names = "--catalog", paramLabel = "PATH",
            description = "The server's catalog (default: DATASTORE/catalog.db); give the server's --catalog if it has one.")
    Path catalog;

    @Option(names = "--name", paramLabel = "DNS_OR_IP",
            description = "A name clients reach the server by, put in its certificate; repeat for more"
                    + " (default: this host's name, localhost and 127.0.0.1).")
    List<String> names = new ArrayList<>();

    @Option(names = "--admin", paramLabel = "NAME", defaultValue = "admin",
            description = "Name of the admin credential (default: ${DEFAULT-VALUE}).")
    String admin;

    @Option(names = "--add-admin", description = "On a datastore already set up: only make a new admin credential.")
    boolean addAdmin;

    @Option(names = "--renew-server-cert", description = "On a datastore already set up: only issue a new server key and"
            + " certificate from its CA, for --name (the old pair is kept as server.key.old, server.crt.old); restart the"
            + " server to use it. Clients need nothing new.")
    boolean renew;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "Also write the admin token to FILE (created mode 0600; must not exist).")
    Path tokenFile;

    @Option(names = "--json", description = "Print what was made as one JSON object.")
    boolean json;

    @Override
    public Integer call() {
        try {
            return run();
        } catch (StoreException | java.nio.file.FileAlreadyExistsException e) {
            System.err.println("ckpt server init: " + e.getMessage());
            return 1;
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            System.err.println("ckpt server init: " + e.getClass().getSimpleName() + ": " + e.getMessage());
            return 1;
        }
    }

    private int run() throws IOException, GeneralSecurityException {
        Path root = datastore.toAbsolutePath().normalize();
        if (tokenFile != null && Files.exists(tokenFile)) {
            System.err.println("ckpt server init: --token-file " + tokenFile + " exists; give a new file");
            return 2;
        }
        Datastore ds = Datastore.openOrCreate(root);
        SecurityDir dir = SecurityDir.of(root);
        List<String> sans = names.isEmpty() ? defaultNames() : List.copyOf(new LinkedHashSet<>(names));
        if (renew) {
            if (!dir.exists() || addAdmin) {
                System.err.println("ckpt server init: --renew-server-cert needs a datastore already set up, and no --add-admin");
                return 2;
            }
            try (DatastoreLock lock = ds.lock()) {
                dir.renewServer(sans);
            }
            System.out.println("renewed server certificate  " + dir.serverCertificateFile() + "  for " + String.join(", ", sans)
                    + "  (restart the server to use it)");
            return 0;
        }
        try (DatastoreLock lock = ds.lock();
                Catalog cat = Catalog.open(catalog != null ? catalog : root.resolve("catalog.db"), ds.id())) {
            if (addAdmin) {
                if (!dir.exists()) {
                    System.err.println("ckpt server init: --add-admin: " + root + " is not set up yet; run without it");
                    return 2;
                }
            } else {
                dir.create(sans);
            }
            Credentials.Added a = new Credentials(cat).add(admin, Role.ADMIN, null, null);
            if (tokenFile != null) {
                Files.writeString(Files.createFile(tokenFile,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))),
                        a.token() + "\n", StandardCharsets.US_ASCII);
            }
            if (json) {
                ObjectNode o = new ObjectMapper().createObjectNode();
                o.put("security_dir", dir.path().toString()).put("ca_certificate", dir.caCertificateFile().toString())
                        .put("server_certificate", dir.serverCertificateFile().toString());
                if (!addAdmin) {
                    sans.forEach(o.putArray("names")::add);
                }
                o.put("admin", admin).put("token", a.token());
                System.out.println(o);
                return 0;
            }
            if (!addAdmin) {
                System.out.println("created CA certificate      " + dir.caCertificateFile()
                        + "  (give it to every client: --tls-ca, $CKPT_TLS_CA, server.tls-ca)");
                System.out.println("created CA key              " + dir.path().resolve("ca.key") + "  (mode 0600)");
                System.out.println("created server certificate  " + dir.serverCertificateFile() + "  for " + String.join(", ", sans));
                System.out.println("created server key          " + dir.path().resolve("server.key") + "  (mode 0600)");
            }
            System.out.println("admin credential '" + admin + "'; its token, shown only now"
                    + (tokenFile != null ? " (also in " + tokenFile + ")" : "") + ":");
            System.out.println("  " + a.token());
            System.out.println("the server speaks TLS and requires credentials from its next start;"
                    + " add hosts with 'ckpt host add HOST'");
            return 0;
        }
    }

    private static List<String> defaultNames() {
        LinkedHashSet<String> n = new LinkedHashSet<>();
        try {
            n.add(InetAddress.getLocalHost().getHostName());
        } catch (IOException e) {
            // no resolvable host name: localhost and 127.0.0.1 still work
        }
        n.add("localhost");
        n.add("127.0.0.1");
        return List.copyOf(n);
    }
}

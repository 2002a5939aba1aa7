package io.ckpt.security;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * The datastore's {@code security/} directory, made by {@code ckpt server init}: the private CA
 * ({@code ca.key}, {@code ca.crt}) and the server's TLS identity ({@code server.key},
 * {@code server.crt}). Keys are PEM PKCS#8, mode 0600; the directory is 0700. Its presence turns on
 * TLS and authentication.
 */
public final class SecurityDir {
    public static final String NAME = "security";
    private final Path dir;

    private SecurityDir(Path dir) {
        this.dir = dir;
    }

    /** The security directory of the datastore at {@code datastore}, which may not exist yet. */
    public static SecurityDir of(Path datastore) {
        return new SecurityDir(datastore.resolve(NAME));
    }

    public Path path() {
        return dir;
    }

    public boolean exists() {
        return Files.isRegularFile(caCertificateFile());
    }

    public Path caCertificateFile() {
        return dir.resolve("ca.crt");
    }

    public Path serverCertificateFile() {
        return dir.resolve("server.crt");
    }

    private Path caKeyFile() {
        return dir.resolve("ca.key");
    }

    private Path serverKeyFile() {
        return dir.resolve("server.key");
    }

    /**
     * Creates the CA and the server's certificate for {@code names}. Refuses when the directory
     * already holds a CA: a new CA would orphan every client that trusts the old one.
     */
    public void create(List<String> names) throws IOException, GeneralSecurityException {
        if (exists()) {
            throw new FileAlreadyExistsException(caCertificateFile() + " exists: this datastore is already initialised"
                    + " (remove " + dir + " to start over with a new CA, which every client must then be given)");
        }
        for (Path p : List.of(caKeyFile(), serverKeyFile(), serverCertificateFile())) {
            if (Files.exists(p)) {
                throw new FileAlreadyExistsException(p + " exists without " + caCertificateFile() + ": an earlier init"
                        + " stopped half-way; remove " + dir + " and run it again");
            }
        }
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        CertificateAuthority ca = CertificateAuthority.create("ckpt CA " + dir.toAbsolutePath().getParent().getFileName());
        CertificateAuthority.Issued server = ca.issueServer(names);
        writeSecret(caKeyFile(), CertificateAuthority.pem(ca.key()));
        writeSecret(serverKeyFile(), CertificateAuthority.pem(server.key()));
        writePublic(serverCertificateFile(), CertificateAuthority.pem(server.certificate()));
        writePublic(caCertificateFile(), CertificateAuthority.pem(ca.certificate())); // last: its presence means done
    }

    /**
     * Issues a new server key and certificate for {@code names} from the existing CA (a name added,
     * or the old one near its end); the old pair is kept as {@code server.key.old}, {@code server.crt.old}.
     * Clients keep working: they trust the CA, not the certificate.
     */
    public void renewServer(List<String> names) throws IOException, GeneralSecurityException {
        CertificateAuthority.Issued server = ca().issueServer(names);
        Files.move(serverKeyFile(), dir.resolve("server.key.old"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.move(serverCertificateFile(), dir.resolve("server.crt.old"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        writeSecret(serverKeyFile(), CertificateAuthority.pem(server.key()));
        writePublic(serverCertificateFile(), CertificateAuthority.pem(server.certificate()));
    }

    public CertificateAuthority ca() throws IOException {
        return new CertificateAuthority(new CertificateAuthority.Issued(
                CertificateAuthority.readKey(Files.readString(caKeyFile()), caKeyFile().toString()),
                caCertificate()));
    }

    public X509Certificate caCertificate() throws IOException {
        return CertificateAuthority.readCertificate(Files.readString(caCertificateFile()), caCertificateFile().toString());
    }

    /**
     * The server's TLS context (JDK provider, TLS 1.2 and 1.3): its own certificate, and client
     * certificates asked for but not required, trusted when signed by this CA.
     */
    public SslContext serverContext() throws IOException {
        X509Certificate cert = CertificateAuthority.readCertificate(Files.readString(serverCertificateFile()),
                serverCertificateFile().toString());
        return SslContextBuilder.forServer(
                        CertificateAuthority.readKey(Files.readString(serverKeyFile()), serverKeyFile().toString()), cert, caCertificate())
                .sslProvider(SslProvider.JDK)
                .protocols("TLSv1.3", "TLSv1.2")
                .trustManager(caCertificate())
                .clientAuth(ClientAuth.OPTIONAL)
                .build();
    }

    /**
     * A client certificate for {@code host} with its key and the CA's certificate, as a PKCS#12
     * file protected by {@code password}.
     */
    public ClientKeyStore issueClientKeyStore(String host, char[] password) throws IOException, GeneralSecurityException {
        CertificateAuthority.Issued c = ca().issueClient(host);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry(host, c.key(), password, new Certificate[] {c.certificate(), caCertificate()});
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ks.store(out, password);
        return new ClientKeyStore(out.toByteArray(), CertificateAuthority.fingerprint(c.certificate()));
    }

    /** A PKCS#12 file's bytes and the SHA-256 fingerprint of the certificate in it. */
    public record ClientKeyStore(byte[] pkcs12, String fingerprint) {}

    private static void writeSecret(Path file, String text) throws IOException {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, text, StandardCharsets.US_ASCII);
    }

    private static void writePublic(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.US_ASCII);
    }
}

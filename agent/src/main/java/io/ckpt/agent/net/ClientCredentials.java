package io.ckpt.agent.net;

import io.ckpt.protocol.ErrorCode;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;

/**
 * How a client proves itself to the server and checks the server (docs/SECURITY.md): the
 * server's CA certificate (TLS; null for plaintext), a token sent in HELLO's AUTH field, and a
 * client certificate (a PKCS#12 file from {@code ckpt host add --cert}, protected by the token).
 */
public record ClientCredentials(Path caCertificate, String token, Path clientKeyStore) {
    /** No TLS, no token: a loopback server without credentials. */
    public static final ClientCredentials NONE = new ClientCredentials(null, null, null);

    public boolean tls() {
        return caCertificate != null;
    }

    /**
     * From files: {@code tokenFile} holds the token on its first line; any argument may be null.
     * Names the file that cannot be read.
     */
    public static ClientCredentials of(Path caCertificate, Path tokenFile, Path clientKeyStore) throws IOException {
        String token = null;
        if (tokenFile != null) {
            token = readToken(tokenFile);
        }
        return new ClientCredentials(caCertificate, token, clientKeyStore);
    }

    public static String readToken(Path tokenFile) throws IOException {
        String t;
        try {
            t = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
        } catch (NoSuchFileException e) {
            throw new ClientException(ErrorCode.BAD_REQUEST, "token file " + tokenFile + " does not exist");
        }
        if (t.isEmpty() || t.contains("\n")) {
            throw new ClientException(ErrorCode.BAD_REQUEST, "token file " + tokenFile + " must hold one token on one line");
        }
        return t;
    }

    /** The TLS context for the client: trusts only the CA, checks the server's name, offers the client certificate. */
    SslContext sslContext() throws IOException {
        if (!Files.isReadable(caCertificate)) {
            throw new ClientException(ErrorCode.BAD_REQUEST, "CA certificate " + caCertificate
                    + " cannot be read (--tls-ca, $CKPT_TLS_CA, server.tls-ca)");
        }
        try {
            SslContextBuilder b = SslContextBuilder.forClient()
                    .sslProvider(SslProvider.JDK)
                    .protocols("TLSv1.3", "TLSv1.2")
                    .endpointIdentificationAlgorithm("HTTPS")
                    .trustManager(caCertificate.toFile());
            if (clientKeyStore != null) {
                if (token == null) {
                    throw new ClientException(ErrorCode.BAD_REQUEST, "client certificate " + clientKeyStore
                            + " is protected by the host's token: give the token too (--token-file, $CKPT_TOKEN)");
                }
                KeyStore ks = KeyStore.getInstance("PKCS12");
                try (InputStream in = Files.newInputStream(clientKeyStore)) {
                    ks.load(in, token.toCharArray());
                }
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, token.toCharArray());
                b.keyManager(kmf);
            }
            return b.build();
        } catch (GeneralSecurityException | IOException | IllegalArgumentException e) {
            if (e instanceof ClientException c) {
                throw c;
            }
            throw new ClientException(ErrorCode.BAD_REQUEST, "cannot use " + (clientKeyStore != null
                    ? "CA certificate " + caCertificate + " and client certificate " + clientKeyStore
                    : "CA certificate " + caCertificate) + ": " + e.getMessage());
        }
    }
}

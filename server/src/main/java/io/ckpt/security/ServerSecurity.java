package io.ckpt.security;

import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.RequestRefusedException;
import io.netty.handler.ssl.SslContext;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * How this server admits connections: TLS or not, whether clients must authenticate, and the
 * credentials and access rules that apply. Built once at start ({@code CkptServer}).
 */
public final class ServerSecurity {
    private final SslContext tls;
    private final Credentials credentials;
    private final Access access;
    private final boolean required;

    /**
     * @param tls      the TLS context, or null for plaintext
     * @param required whether every client must authenticate; false only for a loopback server
     *                 without credentials (or one started with --insecure-plaintext and none)
     */
    public ServerSecurity(SslContext tls, Credentials credentials, Access access, boolean required) {
        this.tls = tls;
        this.credentials = credentials;
        this.access = access;
        this.required = required;
    }

    /** The TLS context, when the server speaks TLS. */
    public Optional<SslContext> tls() {
        return Optional.ofNullable(tls);
    }

    public boolean required() {
        return required;
    }

    public Credentials credentials() {
        return credentials;
    }

    public Access access() {
        return access;
    }

    /**
     * Who a new connection is: the holder of the client certificate it presented, else of the token
     * in HELLO's AUTH field, else (when not {@link #required}) the local client under the host id it
     * gave. HELLO's HOST_ID does not name an authenticated principal: the credential does.
     */
    public Principal authenticate(String helloHostId, byte[] auth, X509Certificate clientCertificate)
            throws RequestRefusedException {
        if (clientCertificate != null) {
            Optional<Principal> p = credentials.byCertificate(CertificateAuthority.fingerprint(clientCertificate));
            if (p.isPresent()) {
                return p.get();
            }
            if (auth.length == 0) {
                throw new RequestRefusedException(ErrorCode.UNAUTHORIZED, "client certificate "
                        + clientCertificate.getSubjectX500Principal().getName() + " is unknown or revoked");
            }
        }
        if (auth.length > 0) {
            return credentials.byToken(new String(auth, StandardCharsets.UTF_8)).orElseThrow(() -> new RequestRefusedException(
                    ErrorCode.UNAUTHORIZED, "the token is unknown or revoked (check --token-file, $CKPT_TOKEN)"));
        }
        if (required) {
            throw new RequestRefusedException(ErrorCode.UNAUTHORIZED, "this server requires a credential: give a token"
                    + " (--token-file FILE, $CKPT_TOKEN; 'ckpt host add' makes one) or a client certificate");
        }
        return Principal.local(helloHostId);
    }
}

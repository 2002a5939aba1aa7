package io.ckpt.security;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The private CA: what it issues validates against it (and only it), with the names and purposes asked for. */
class CertificateAuthorityTest {
    @Test
    void serverCertificateChainsToTheCaAndCarriesEveryName() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test CA");
        CertificateAuthority.Issued server = ca.issueServer(List.of("ckpt.example.org", "localhost", "127.0.0.1", "::1"));

        validate(server.certificate(), ca.certificate());
        Set<String> sans = server.certificate().getSubjectAlternativeNames().stream()
                .map(l -> l.get(0) + ":" + l.get(1)).collect(Collectors.toSet());
        assertEquals(Set.of("2:ckpt.example.org", "2:localhost", "7:127.0.0.1", "7:0:0:0:0:0:0:0:1"), sans);
        assertTrue(server.certificate().getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.1"), "serverAuth");
        assertEquals(-1, server.certificate().getBasicConstraints(), "a leaf, not a CA");
        assertTrue(ca.certificate().getBasicConstraints() >= 0, "the root is a CA");
        assertTrue(server.certificate().getSubjectX500Principal().getName().contains("CN=ckpt.example.org"));
    }

    @Test
    void certificateOfAnotherCaDoesNotValidate() throws Exception {
        CertificateAuthority ours = CertificateAuthority.create("ours");
        CertificateAuthority theirs = CertificateAuthority.create("theirs");
        X509Certificate client = theirs.issueClient("node1").certificate();
        assertThrows(java.security.cert.CertPathValidatorException.class, () -> validate(client, ours.certificate()));
        assertThrows(SignatureException.class, () -> client.verify(ours.certificate().getPublicKey()));
    }

    @Test
    void pemRoundTripKeepsCertificateAndKey() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("pem");
        CertificateAuthority.Issued c = ca.issueClient("node1");
        X509Certificate back = CertificateAuthority.readCertificate(CertificateAuthority.pem(c.certificate()), "cert");
        assertArrayEquals(c.certificate().getEncoded(), back.getEncoded());
        var key = CertificateAuthority.readKey(CertificateAuthority.pem(c.key()), "key");
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(key);
        s.update(new byte[] {1, 2, 3});
        byte[] sig = s.sign();
        s.initVerify(back.getPublicKey());
        s.update(new byte[] {1, 2, 3});
        assertTrue(s.verify(sig), "the key read back signs for the certificate read back");
        assertEquals(64, CertificateAuthority.fingerprint(back).length());
        assertNotEquals(CertificateAuthority.fingerprint(back), CertificateAuthority.fingerprint(ca.certificate()));
    }

    @Test
    void securityDirHasPrivateKeysAndRefusesASecondCa(@TempDir Path ds) throws Exception {
        SecurityDir dir = SecurityDir.of(ds);
        dir.create(List.of("localhost", "127.0.0.1"));
        assertTrue(dir.exists());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.path())));
        for (String key : List.of("ca.key", "server.key")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.path().resolve(key))), key);
        }
        validate(CertificateAuthority.readCertificate(Files.readString(dir.serverCertificateFile()), "server"), dir.caCertificate());
        dir.serverContext(); // loads as Netty's TLS server context
        byte[] ca = Files.readAllBytes(dir.caCertificateFile());
        assertThrows(FileAlreadyExistsException.class, () -> dir.create(List.of("localhost")));
        assertArrayEquals(ca, Files.readAllBytes(dir.caCertificateFile()), "the CA is never replaced");

        dir.renewServer(List.of("ckpt.example.org"));
        X509Certificate renewed = CertificateAuthority.readCertificate(Files.readString(dir.serverCertificateFile()), "renewed");
        validate(renewed, dir.caCertificate());
        assertTrue(renewed.getSubjectX500Principal().getName().contains("CN=ckpt.example.org"), "the new name");
        assertArrayEquals(ca, Files.readAllBytes(dir.caCertificateFile()), "renewing keeps the CA");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.path().resolve("server.key"))));

        SecurityDir.ClientKeyStore p12 = dir.issueClientKeyStore("node1", "secret".toCharArray());
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(new java.io.ByteArrayInputStream(p12.pkcs12()), "secret".toCharArray());
        X509Certificate cert = (X509Certificate) ks.getCertificate("node1");
        validate(cert, dir.caCertificate());
        assertEquals(p12.fingerprint(), CertificateAuthority.fingerprint(cert));
        assertTrue(cert.getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.2"), "clientAuth");
    }

    private static void validate(X509Certificate leaf, X509Certificate root) throws Exception {
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
        params.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(
                CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), params);
    }
}

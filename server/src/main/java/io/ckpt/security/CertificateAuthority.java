package io.ckpt.security;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The server's private certificate authority: a self-signed root that signs the server's own
 * certificate and the client certificates of {@code ckpt host add --cert}. Keys are EC P-256, made
 * by the JDK; certificates are built by Bouncy Castle and signed SHA256withECDSA.
 */
public final class CertificateAuthority {
    /** A key and the certificate for it. */
    public record Issued(PrivateKey key, X509Certificate certificate) {}

    static final Duration CA_VALIDITY = Duration.ofDays(3650);
    static final Duration LEAF_VALIDITY = Duration.ofDays(825);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Issued root;

    public CertificateAuthority(Issued root) {
        this.root = root;
    }

    public X509Certificate certificate() {
        return root.certificate();
    }

    PrivateKey key() {
        return root.key();
    }

    /** A new root: key and self-signed certificate named {@code CN=commonName}. */
    public static CertificateAuthority create(String commonName) throws GeneralSecurityException {
        KeyPair kp = newKeyPair();
        X500Name name = name(commonName);
        Instant now = Instant.now();
        try {
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(CA_VALIDITY)), name, kp.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
            return new CertificateAuthority(new Issued(kp.getPrivate(), sign(b, kp.getPrivate())));
        } catch (IOException e) {
            throw new GeneralSecurityException("building the CA certificate: " + e.getMessage(), e);
        }
    }

    /**
     * The server's key and certificate, valid for every name in {@code names} (DNS names, or IP
     * addresses written as such), the first also being its common name.
     */
    public Issued issueServer(List<String> names) throws GeneralSecurityException {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("a server certificate needs at least one name");
        }
        List<GeneralName> san = new ArrayList<>();
        for (String n : names) {
            san.add(isIpAddress(n) ? new GeneralName(GeneralName.iPAddress, n) : new GeneralName(GeneralName.dNSName, n));
        }
        return issue(names.get(0), KeyPurposeId.id_kp_serverAuth, new GeneralNames(san.toArray(GeneralName[]::new)));
    }

    /** A client certificate whose common name is the host id {@code name}. */
    public Issued issueClient(String name) throws GeneralSecurityException {
        return issue(name, KeyPurposeId.id_kp_clientAuth, null);
    }

    private Issued issue(String commonName, KeyPurposeId purpose, GeneralNames san) throws GeneralSecurityException {
        KeyPair kp = newKeyPair();
        Instant now = Instant.now();
        try {
            X500Name issuer = new X509CertificateHolder(root.certificate().getEncoded()).getSubject();
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, serial(),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(LEAF_VALIDITY)), name(commonName),
                    kp.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(root.certificate()));
            if (san != null) {
                b.addExtension(Extension.subjectAlternativeName, false, san);
            }
            return new Issued(kp.getPrivate(), sign(b, root.key()));
        } catch (IOException e) {
            throw new GeneralSecurityException("building the certificate of " + commonName + ": " + e.getMessage(), e);
        }
    }

    /** SHA-256 of the certificate's DER encoding, as hex: how the catalog names a client certificate. */
    public static String fingerprint(X509Certificate cert) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** PEM text of a certificate, or of a private key as unencrypted PKCS#8. */
    public static String pem(Object certificateOrKey) throws IOException {
        StringWriter s = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
            if (certificateOrKey instanceof PrivateKey k) {
                w.writeObject(new JcaPKCS8Generator(k, null));
            } else {
                w.writeObject(certificateOrKey);
            }
        }
        return s.toString();
    }

    public static X509Certificate readCertificate(String pem, String what) throws IOException {
        Object o = readPem(new StringReader(pem), what);
        if (!(o instanceof X509CertificateHolder h)) {
            throw new IOException(what + " does not hold a PEM certificate");
        }
        try {
            return new JcaX509CertificateConverter().getCertificate(h);
        } catch (GeneralSecurityException e) {
            throw new IOException(what + ": " + e.getMessage(), e);
        }
    }

    public static PrivateKey readKey(String pem, String what) throws IOException {
        Object o = readPem(new StringReader(pem), what);
        if (!(o instanceof PrivateKeyInfo info)) {
            throw new IOException(what + " does not hold a PEM PKCS#8 private key");
        }
        return new JcaPEMKeyConverter().getPrivateKey(info);
    }

    private static Object readPem(Reader r, String what) throws IOException {
        try (PEMParser p = new PEMParser(r)) {
            Object o = p.readObject();
            if (o == null) {
                throw new IOException(what + " holds no PEM object");
            }
            return o;
        }
    }

    private static X509Certificate sign(JcaX509v3CertificateBuilder b, PrivateKey signer) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("signing a certificate: " + e.getMessage(), e);
        }
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return g.generateKeyPair();
    }

    private static X500Name name(String commonName) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    static boolean isIpAddress(String s) {
        if (s.contains(":")) {
            return true; // IPv6: a DNS name never holds a colon
        }
        if (!s.matches("[0-9.]+")) {
            return false;
        }
        try {
            InetAddress.getByName(s); // a literal: no lookup
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}

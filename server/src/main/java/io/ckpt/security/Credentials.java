package io.ckpt.security;

import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.CredentialDao;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.RequestRefusedException;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The host credentials in the catalog: issue, look up, list, revoke. Lookups read a copy of the
 * valid credentials held in memory (refreshed by every change made here), so that authenticating
 * a connection never waits on the catalog.
 */
public final class Credentials {
    /** A credential name is a host id: what HELLO's HOST_ID and the ownership records hold. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    private final Catalog catalog;

    private volatile Map<String, Principal> byTokenHash = Map.of();
    private volatile Map<String, Principal> byCertificate = Map.of();

    public Credentials(Catalog catalog) throws IOException {
        this.catalog = catalog;
        reload();
    }

    private synchronized void reload() throws IOException {
        Map<String, Principal> tokens = new HashMap<>();
        Map<String, Principal> certs = new HashMap<>();
        for (CredentialDao.Row r : list()) {
            if (!r.isRevoked()) {
                if (r.tokenHash() != null) {
                    tokens.put(r.tokenHash(), principal(r));
                }
                if (r.certSha256() != null) {
                    certs.put(r.certSha256(), principal(r));
                }
            }
        }
        byTokenHash = Map.copyOf(tokens);
        byCertificate = Map.copyOf(certs);
    }

    /** What {@link #add} made: the token, shown once and never stored. */
    public record Added(Principal principal, String token) {}

    /**
     * Issues a token (and registers the client certificate {@code certSha256}, when not null) for
     * {@code name}. A name in use is refused unless its credential was revoked.
     */
    public Added add(String name, Role role, String tenant, String certSha256) throws IOException {
        return add(name, role, tenant, certSha256, Tokens.generate());
    }

    /** Like {@link #add(String, Role, String, String)}, with the token made by the caller. */
    Added add(String name, Role role, String tenant, String certSha256, String token) throws IOException {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "host name '" + name
                    + "' is not valid (letters, digits, '.', '_', '-'; at most 64; starting with a letter or digit)");
        }
        String t = tenant == null || tenant.isBlank() ? Principal.DEFAULT_TENANT : tenant;
        if (!NAME.matcher(t).matches()) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "tenant '" + t + "' is not valid (same rules as host names)");
        }
        long now = System.currentTimeMillis();
        catalog.write(h -> {
            CredentialDao dao = h.attach(CredentialDao.class);
            Optional<CredentialDao.Row> old = dao.byName(name);
            if (old.isPresent() && !old.get().isRevoked()) {
                throw new RequestRefusedException(ErrorCode.CONFLICT, "host " + name + " already has a credential (role "
                        + old.get().role() + "); revoke it first (ckpt host revoke " + name + ")");
            }
            if (old.isPresent()) {
                dao.reissue(role.wireName(), t, Tokens.hash(token), certSha256, now, name);
            } else {
                dao.insert(name, role.wireName(), t, Tokens.hash(token), certSha256, now);
            }
            return null;
        });
        reload();
        return new Added(new Principal(name, role, t, true), token);
    }

    /** The valid credential holding {@code token}, if any. */
    public Optional<Principal> byToken(String token) {
        return Optional.ofNullable(byTokenHash.get(Tokens.hash(token)));
    }

    /** The valid credential registered for the client certificate with this SHA-256 fingerprint. */
    public Optional<Principal> byCertificate(String sha256) {
        return Optional.ofNullable(byCertificate.get(sha256));
    }

    public List<CredentialDao.Row> list() throws IOException {
        return catalog.read(h -> h.attach(CredentialDao.class).all());
    }

    /**
     * Revokes {@code name}'s credential; false when it has none, or it is already revoked. The
     * commit is fsynced (synchronous=FULL, as a checkpoint's commit) before the answer: a revocation
     * that was acknowledged survives a power loss, so a revoked token cannot come back.
     */
    public boolean revoke(String name) throws IOException {
        boolean done = catalog.writeDurably(h -> h.attach(CredentialDao.class).revoke(System.currentTimeMillis(), name)) > 0;
        reload();
        return done;
    }

    /** Whether any credential is valid, so that clients must authenticate. */
    public boolean any() {
        return !byTokenHash.isEmpty() || !byCertificate.isEmpty();
    }

    private static Principal principal(CredentialDao.Row r) {
        return new Principal(r.name(), Role.parse(r.role()), r.tenant(), true);
    }
}

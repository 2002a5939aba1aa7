package io.ckpt.security;

import java.util.Locale;

/** What a credential may do (docs/SECURITY.md has the table of requests per role). */
public enum Role {
    /** An agent's host: uploads and restores the WPARs it owns or backs up, polls for tasks. */
    HOST,
    /** Everything: maintenance, moves, marks, credentials. */
    ADMIN,
    /** Lists and shows metadata, never checkpoint data. */
    READ_ONLY;

    /** The name on the command line and in the catalog: {@code host}, {@code admin}, {@code read-only}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Role parse(String s) {
        for (Role r : values()) {
            if (r.wireName().equals(s)) {
                return r;
            }
        }
        throw new IllegalArgumentException("role '" + s + "' is not one of host, admin, read-only");
    }
}

package io.ckpt.control;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * WPARs that may be running on a host without the server knowing (issue 20, "never two copies"):
 * a start or final checkpoint that did not answer clearly. Such a WPAR is neither restarted
 * elsewhere nor failed over without {@code --force}; a start or final checkpoint that answers
 * clears it. Kept in memory only: a server restart forgets them (docs/RELOCATION.md).
 */
public final class UnknownStates {
    /** A WPAR whose state on {@code host} is unknown since {@code since}: it may run there. */
    public record Unknown(String host, String reason, Instant since) {}

    private final Map<String, Unknown> unknown = new ConcurrentHashMap<>();
    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    /** Records that {@code wpar} may run on {@code host} ({@code reason}: what was not answered). */
    void mark(String wpar, String host, String reason) {
        unknown.put(wpar, new Unknown(host, reason, Instant.now()));
    }

    /** A clear answer: {@code wpar} runs where the catalog says, or nowhere. */
    void known(String wpar) {
        unknown.remove(wpar);
        warned.remove(wpar);
    }

    Optional<Unknown> get(String wpar) {
        return Optional.ofNullable(unknown.get(wpar));
    }

    /** True the first time it is asked for {@code wpar} since it became unknown (one log line, not one a second). */
    boolean firstWarning(String wpar) {
        return warned.add(wpar);
    }
}

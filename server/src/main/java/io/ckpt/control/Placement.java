package io.ckpt.control;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.catalog.Names;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where each WPAR should run: the server config's {@code placement} list (first matching glob
 * wins) naming a primary host and backup hosts in order, and its {@code failover} section: how
 * long an agent may be silent before its host counts as down, and whether the server then fails
 * its WPARs over on its own (off by default). docs/RELOCATION.md documents the keys.
 */
public record Placement(List<Rule> rules, Duration lease, boolean automaticFailover) {
    public record Rule(String glob, Pattern pattern, String primary, List<String> backups) {}

    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);
    public static final Placement NONE = new Placement(List.of(), DEFAULT_LEASE, false);

    public Optional<Rule> ruleFor(String wpar) {
        return rules.stream().filter(r -> r.pattern().matcher(wpar).matches()).findFirst();
    }

    /**
     * A {@code placement} or {@code failover} section that cannot be used; the message names the
     * key. The policy file's reader ({@code retention.RetentionConfig}) reports it as its own.
     */
    public static final class InvalidPlacementException extends IllegalArgumentException {
        public InvalidPlacementException(String message) {
            super(message);
        }
    }

    /** Parses the {@code placement} and {@code failover} sections (either may be missing). */
    public static Placement parse(JsonNode placement, JsonNode failover) {
        List<Rule> rules = new ArrayList<>();
        if (!placement.isMissingNode() && !placement.isNull()) {
            if (!placement.isArray()) {
                throw new InvalidPlacementException("placement: a list of {match, primary, backup}");
            }
            for (int i = 0; i < placement.size(); i++) {
                String at = "placement[" + i + "]";
                JsonNode item = placement.get(i);
                if (!item.isObject()) {
                    throw new InvalidPlacementException(at + ": a mapping with match, primary and backup");
                }
                item.fieldNames().forEachRemaining(k -> {
                    if (!Set.of("match", "primary", "backup").contains(k)) {
                        throw new InvalidPlacementException(at + "." + k + ": unknown key (expected one of: backup, match, primary)");
                    }
                });
                if (!item.hasNonNull("match") || !item.hasNonNull("primary")) {
                    throw new InvalidPlacementException(at + ": needs 'match' (a WPAR glob) and 'primary' (a host id)");
                }
                List<String> backups = new ArrayList<>();
                JsonNode b = item.path("backup");
                if (b.isArray()) {
                    b.forEach(x -> backups.add(x.asText()));
                } else if (!b.isMissingNode() && !b.isNull()) {
                    backups.add(b.asText());
                }
                String glob = item.get("match").asText();
                String primary = item.get("primary").asText();
                if (backups.contains(primary)) {
                    throw new InvalidPlacementException(at + ": host " + primary + " is both primary and backup");
                }
                rules.add(new Rule(glob, Names.wparGlob(glob), primary, List.copyOf(backups)));
            }
        }
        Duration lease = DEFAULT_LEASE;
        boolean automatic = false;
        if (!failover.isMissingNode() && !failover.isNull()) {
            if (!failover.isObject()) {
                throw new InvalidPlacementException("failover: a mapping with lease and automatic");
            }
            failover.fieldNames().forEachRemaining(k -> {
                if (!Set.of("lease", "automatic").contains(k)) {
                    throw new InvalidPlacementException("failover." + k + ": unknown key (expected one of: automatic, lease)");
                }
            });
            if (failover.has("lease")) {
                lease = parseSeconds(failover.get("lease").asText(), "failover.lease");
            }
            JsonNode a = failover.path("automatic");
            if (!a.isMissingNode()) {
                if (!a.isBoolean()) {
                    throw new InvalidPlacementException("failover.automatic: '" + a.asText() + "' is not true or false");
                }
                automatic = a.asBoolean();
            }
        }
        return new Placement(List.copyOf(rules), lease, automatic);
    }

    private static Duration parseSeconds(String s, String key) {
        var m = Pattern.compile("(\\d+)(s|m|h)").matcher(s.trim());
        if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
            throw new InvalidPlacementException(key + ": '" + s + "' is not a duration (use 30s, 2m, 1h)");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }
}

package io.ckpt.retention;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.ckpt.catalog.Names;
import io.ckpt.control.Placement;
import java.io.IOException;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The server config's retention and maintenance sections (docs/RETENTION.md, "Server config"):
 * a policy per WPAR glob (first match wins) with a default, the time zone of the buckets, how
 * often prune, gc and verify run on their own, and what share of the packs (1 to 100 percent) each
 * scheduled verify reads, with or without SHA-256. Validated whole when loaded: a config with one
 * bad value is refused, and a reload keeps the previous one.
 */
public record RetentionConfig(ZoneId zone, Optional<RetentionPolicy> defaultPolicy, List<Rule> rules,
        Optional<Duration> pruneEvery, Optional<Duration> gcEvery, Optional<Duration> verifyEvery,
        int verifySharePercent, boolean verifyFull, Placement placement) {

    /** A policy for the WPARs whose names match {@code glob}. */
    public record Rule(String glob, Pattern pattern, RetentionPolicy policy) {}

    /** No config file: UTC, no policies, nothing scheduled. */
    public static final RetentionConfig NONE = new RetentionConfig(ZoneOffset.UTC, Optional.empty(), List.of(),
            Optional.empty(), Optional.empty(), Optional.empty(), 100, false, Placement.NONE);

    private static final Set<String> TOP = Set.of("retention", "schedule", "placement", "failover");
    private static final Set<String> RETENTION = Set.of("time-zone", "default", "wpars");
    private static final Set<String> SCHEDULE = Set.of("prune", "gc", "verify", "verify-share", "verify-full");
    private static final Pattern PERCENT = Pattern.compile("(\\d{1,3})%");
    /**
     * Limits on the file before its schema is checked: size, nesting, entries per mapping or list,
     * string length. A real config is a few KiB, 4 levels deep.
     */
    static final int MAX_BYTES = 1 << 20;
    static final int MAX_DEPTH = 16;
    static final int MAX_ENTRIES = 4096;
    static final int MAX_STRING = 64 << 10;

    /** Refuses a tree past the limits, naming the key path where it first goes past one. */
    static void checkLimits(JsonNode node, String path, int depth) {
        if (node.isContainerNode()) {
            if (depth > MAX_DEPTH) {
                throw new InvalidPolicyException(path + ": nested deeper than " + MAX_DEPTH + " levels");
            }
            if (node.size() > MAX_ENTRIES) {
                throw new InvalidPolicyException(path + ": " + node.size() + " entries, more than the limit of " + MAX_ENTRIES);
            }
            if (node.isObject()) {
                for (var e : node.properties()) {
                    String key = e.getKey();
                    if (key.length() > 256) {
                        throw new InvalidPolicyException(path + ": a key of " + key.length() + " characters, more than the limit of 256");
                    }
                    checkLimits(e.getValue(), path.equals("(top level)") ? key : path + "." + key, depth + 1);
                }
            } else {
                for (int i = 0; i < node.size(); i++) {
                    checkLimits(node.get(i), path + "[" + i + "]", depth + 1);
                }
            }
        } else if (node.isTextual() && node.asText().length() > MAX_STRING) {
            throw new InvalidPolicyException(path + ": value of " + node.asText().length()
                    + " characters, more than the limit of " + MAX_STRING);
        }
    }

    /** The policy for {@code wpar}: the first rule whose glob matches, else the default. */
    public Optional<RetentionPolicy> policyFor(String wpar) {
        for (Rule r : rules) {
            if (r.pattern().matcher(wpar).matches()) {
                return Optional.of(r.policy());
            }
        }
        return defaultPolicy;
    }

    /** Loads and validates {@code file}; every problem names the file and the key. */
    public static RetentionConfig load(Path file) throws InvalidPolicyException {
        JsonNode root;
        try {
            long size = java.nio.file.Files.size(file);
            if (size > MAX_BYTES) {
                throw new InvalidPolicyException(file + ": file of " + size + " bytes, more than the limit of " + MAX_BYTES
                        + " (is this the server config?)");
            }
            root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
        } catch (IOException e) {
            throw new InvalidPolicyException(file + ": " + e.getMessage().split("\n")[0]);
        }
        if (root == null || root.isNull() || root.isMissingNode()) {
            return NONE;
        }
        String f = file.getFileName().toString();
        try {
            checkLimits(root, "(top level)", 1);
            return parse(root);
        } catch (InvalidPolicyException e) {
            throw new InvalidPolicyException(f + ": " + e.getMessage());
        }
    }

    static RetentionConfig parse(JsonNode root) {
        requireMap(root, "(top level)", TOP);
        JsonNode ret = root.path("retention");
        ZoneId zone = ZoneOffset.UTC;
        Optional<RetentionPolicy> def = Optional.empty();
        List<Rule> rules = new ArrayList<>();
        if (!ret.isMissingNode()) {
            requireMap(ret, "retention", RETENTION);
            if (ret.has("time-zone")) {
                try {
                    zone = ZoneId.of(ret.get("time-zone").asText());
                } catch (DateTimeException e) {
                    throw new InvalidPolicyException("retention.time-zone: '" + ret.get("time-zone").asText()
                            + "' is not a time zone (use UTC, Europe/Berlin, ...)");
                }
            }
            if (ret.has("default")) {
                def = Optional.of(policy(ret.get("default"), "retention.default"));
            }
            JsonNode list = ret.path("wpars");
            if (!list.isMissingNode() && !list.isArray()) {
                throw new InvalidPolicyException("retention.wpars: a list of {match, policy}");
            }
            for (int i = 0; i < list.size(); i++) {
                String at = "retention.wpars[" + i + "]";
                JsonNode item = list.get(i);
                requireMap(item, at, Set.of("match", "policy"));
                if (!item.hasNonNull("match") || !item.hasNonNull("policy")) {
                    throw new InvalidPolicyException(at + ": needs both 'match' (a WPAR glob) and 'policy'");
                }
                String glob = item.get("match").asText();
                rules.add(new Rule(glob, Names.wparGlob(glob), policy(item.get("policy"), at + ".policy")));
            }
        }
        JsonNode sched = root.path("schedule");
        if (!sched.isMissingNode()) {
            requireMap(sched, "schedule", SCHEDULE);
        }
        return new RetentionConfig(zone, def, List.copyOf(rules), every(sched, "prune"), every(sched, "gc"),
                every(sched, "verify"), share(sched.path("verify-share")), full(sched.path("verify-full")),
                placement(root));
    }

    /** The {@code placement} and {@code failover} sections, control's, their errors reported as this file's. */
    private static Placement placement(JsonNode root) {
        try {
            return Placement.parse(root.path("placement"), root.path("failover"));
        } catch (Placement.InvalidPlacementException e) {
            throw new InvalidPolicyException(e.getMessage());
        }
    }

    private static RetentionPolicy policy(JsonNode node, String at) {
        if (!node.isObject()) {
            throw new InvalidPolicyException(at + ": a mapping of keep rules");
        }
        List<Map.Entry<String, String>> options = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            var e = it.next();
            if (e.getValue().isArray()) {
                e.getValue().forEach(v -> options.add(Map.entry(e.getKey(), v.asText())));
            } else {
                options.add(Map.entry(e.getKey(), e.getValue().asText()));
            }
        }
        try {
            RetentionPolicy p = RetentionPolicy.parse(options);
            if (p.isEmpty()) {
                throw new InvalidPolicyException("the policy keeps nothing; give at least one keep rule");
            }
            return p;
        } catch (InvalidPolicyException e) {
            throw new InvalidPolicyException(at + ": " + e.getMessage());
        }
    }

    private static Optional<Duration> every(JsonNode sched, String key) {
        JsonNode v = sched.path(key);
        // YAML 1.1 reads a bare 'off' as false
        if (v.isMissingNode() || v.isNull() || "off".equals(v.asText()) || (v.isBoolean() && !v.asBoolean())) {
            return Optional.empty();
        }
        String text = v.asText().strip();
        java.util.regex.Matcher m = Pattern.compile("(\\d+)([smhd])").matcher(text);
        if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
            throw new InvalidPolicyException("schedule." + key + ": '" + text + "' is not an interval (use 30s, 15m, 1h, 1d, or off)");
        }
        long n = Long.parseLong(m.group(1));
        return Optional.of(switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        });
    }

    /** A whole percentage from 1% to 100%, written with its % sign; absent is 100%. */
    private static int share(JsonNode v) {
        if (v.isMissingNode() || v.isNull()) {
            return 100;
        }
        String text = v.asText().strip();
        java.util.regex.Matcher m = PERCENT.matcher(text);
        int n = m.matches() ? Integer.parseInt(m.group(1)) : 0;
        if (n < 1 || n > 100) {
            throw new InvalidPolicyException("schedule.verify-share: '" + text
                    + "' is not a share of the packs (use a whole percentage from 1% to 100%, such as 10%)");
        }
        return n;
    }

    private static boolean full(JsonNode v) {
        if (v.isMissingNode() || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw new InvalidPolicyException("schedule.verify-full: '" + v.asText() + "' is not true or false");
        }
        return v.asBoolean();
    }

    private static void requireMap(JsonNode node, String at, Set<String> keys) {
        if (!node.isObject()) {
            throw new InvalidPolicyException(at + ": expected a mapping");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!keys.contains(k)) {
                throw new InvalidPolicyException(at + ": unknown key '" + k + "' (known: " + String.join(", ", keys) + ")");
            }
        }
    }
}

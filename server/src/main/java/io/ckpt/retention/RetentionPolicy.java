package io.ckpt.retention;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one WPAR keeps, in restic's {@code forget} terms plus ckpt's {@code keep-good}. Counts are
 * N &gt;= 0 (0 = rule off) or -1 (unlimited); durations are {@link RetentionDuration#ZERO} when off;
 * each label group keeps the checkpoints that carry all of its labels. Valid once constructed.
 */
public record RetentionPolicy(
        int keepLast,
        int keepHourly,
        int keepDaily,
        int keepWeekly,
        int keepMonthly,
        int keepYearly,
        RetentionDuration keepWithin,
        RetentionDuration keepWithinHourly,
        RetentionDuration keepWithinDaily,
        RetentionDuration keepWithinWeekly,
        RetentionDuration keepWithinMonthly,
        RetentionDuration keepWithinYearly,
        int keepGood,
        List<Set<String>> keepLabelGroups) {

    /** The keys {@link #parse} accepts, in the order {@link #describe} prints them. */
    public static final List<String> KEYS = List.of("keep-last", "keep-hourly", "keep-daily", "keep-weekly",
            "keep-monthly", "keep-yearly", "keep-within", "keep-within-hourly", "keep-within-daily",
            "keep-within-weekly", "keep-within-monthly", "keep-within-yearly", "keep-good", "keep-label");

    /** The policy that keeps nothing; a prune refuses it. */
    public static final RetentionPolicy EMPTY = of();

    static final int MAX_LABEL_LENGTH = 256;

    public RetentionPolicy {
        checkCount("keep-last", keepLast);
        checkCount("keep-hourly", keepHourly);
        checkCount("keep-daily", keepDaily);
        checkCount("keep-weekly", keepWeekly);
        checkCount("keep-monthly", keepMonthly);
        checkCount("keep-yearly", keepYearly);
        checkCount("keep-good", keepGood);
        checkDuration("keep-within", keepWithin);
        checkDuration("keep-within-hourly", keepWithinHourly);
        checkDuration("keep-within-daily", keepWithinDaily);
        checkDuration("keep-within-weekly", keepWithinWeekly);
        checkDuration("keep-within-monthly", keepWithinMonthly);
        checkDuration("keep-within-yearly", keepWithinYearly);
        if (keepLabelGroups == null) {
            throw new InvalidPolicyException("keep-label: null label groups");
        }
        List<Set<String>> groups = new ArrayList<>();
        for (Set<String> group : keepLabelGroups) {
            if (group == null || group.isEmpty()) {
                throw new InvalidPolicyException("keep-label: an empty label group would keep every checkpoint");
            }
            for (String label : group) {
                checkLabel(label);
            }
            groups.add(Collections.unmodifiableSet(new LinkedHashSet<>(group)));
        }
        keepLabelGroups = List.copyOf(groups);
    }

    /** A policy from alternating keys and values: {@code of("keep-daily", "7", "keep-label", "web,tier1")}. */
    public static RetentionPolicy of(String... keysAndValues) {
        if (keysAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("keys and values do not pair up: " + keysAndValues.length + " strings");
        }
        List<Map.Entry<String, String>> options = new ArrayList<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            options.add(Map.entry(keysAndValues[i], keysAndValues[i + 1]));
        }
        return parse(options);
    }

    /**
     * A policy from configuration options in order. Every key of {@link #KEYS} may appear once,
     * except {@code keep-label}, which may repeat; its value is a comma-separated group of labels
     * (whitespace around each label is dropped). Counts are N &gt;= 0, or -1 or {@code unlimited}.
     *
     * @throws InvalidPolicyException naming the key and value for anything else
     */
    public static RetentionPolicy parse(List<Map.Entry<String, String>> options) {
        Map<String, String> single = new HashMap<>();
        List<Set<String>> groups = new ArrayList<>();
        for (Map.Entry<String, String> option : options) {
            String key = option.getKey() == null ? "" : option.getKey().strip();
            String value = option.getValue();
            if (!KEYS.contains(key)) {
                throw new InvalidPolicyException("unknown retention key '" + option.getKey() + "' (known: "
                        + String.join(", ", KEYS) + ")");
            }
            if (value == null) {
                throw new InvalidPolicyException(key + ": no value");
            }
            if (key.equals("keep-label")) {
                groups.add(parseLabelGroup(value));
            } else if (single.putIfAbsent(key, value) != null) {
                throw new InvalidPolicyException(key + ": given more than once ('" + single.get(key) + "', '" + value + "')");
            }
        }
        return new RetentionPolicy(
                count(single, "keep-last"), count(single, "keep-hourly"), count(single, "keep-daily"),
                count(single, "keep-weekly"), count(single, "keep-monthly"), count(single, "keep-yearly"),
                duration(single, "keep-within"), duration(single, "keep-within-hourly"),
                duration(single, "keep-within-daily"), duration(single, "keep-within-weekly"),
                duration(single, "keep-within-monthly"), duration(single, "keep-within-yearly"),
                count(single, "keep-good"), groups);
    }

    /** No rule set: the policy keeps nothing (restic's {@code Empty()}). */
    public boolean isEmpty() {
        return keepLast == 0 && keepHourly == 0 && keepDaily == 0 && keepWeekly == 0 && keepMonthly == 0
                && keepYearly == 0 && keepGood == 0 && keepWithin.isZero() && keepWithinHourly.isZero()
                && keepWithinDaily.isZero() && keepWithinWeekly.isZero() && keepWithinMonthly.isZero()
                && keepWithinYearly.isZero() && keepLabelGroups.isEmpty();
    }

    /** The rules that are on, for logs and prune output: {@code keep-daily 7, keep-monthly unlimited, keep-label web,tier1}. */
    public String describe() {
        List<String> rules = new ArrayList<>();
        addCount(rules, "keep-last", keepLast);
        addCount(rules, "keep-hourly", keepHourly);
        addCount(rules, "keep-daily", keepDaily);
        addCount(rules, "keep-weekly", keepWeekly);
        addCount(rules, "keep-monthly", keepMonthly);
        addCount(rules, "keep-yearly", keepYearly);
        addDuration(rules, "keep-within", keepWithin);
        addDuration(rules, "keep-within-hourly", keepWithinHourly);
        addDuration(rules, "keep-within-daily", keepWithinDaily);
        addDuration(rules, "keep-within-weekly", keepWithinWeekly);
        addDuration(rules, "keep-within-monthly", keepWithinMonthly);
        addDuration(rules, "keep-within-yearly", keepWithinYearly);
        addCount(rules, "keep-good", keepGood);
        for (Set<String> group : keepLabelGroups) {
            rules.add("keep-label " + String.join(",", group));
        }
        return rules.isEmpty() ? "empty policy (keeps nothing)" : String.join(", ", rules);
    }

    private static void addCount(List<String> rules, String key, int n) {
        if (n != 0) {
            rules.add(key + " " + (n == -1 ? "unlimited" : Integer.toString(n)));
        }
    }

    private static void addDuration(List<String> rules, String key, RetentionDuration d) {
        if (!d.isZero()) {
            rules.add(key + " " + d);
        }
    }

    private static int count(Map<String, String> single, String key) {
        String value = single.get(key);
        if (value == null) {
            return 0;
        }
        String s = value.strip();
        if (s.equals("unlimited")) {
            return -1;
        }
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new InvalidPolicyException(key + ": '" + value + "' is not a count (use N >= 0, or -1 for unlimited)");
        }
    }

    private static RetentionDuration duration(Map<String, String> single, String key) {
        String value = single.get(key);
        return value == null ? RetentionDuration.ZERO : RetentionDuration.parse(key, value);
    }

    private static Set<String> parseLabelGroup(String value) {
        Set<String> group = new LinkedHashSet<>();
        for (String label : value.split(",", -1)) {
            String l = label.strip();
            if (l.isEmpty()) {
                throw new InvalidPolicyException("keep-label: '" + value + "' has an empty label (use LABEL or "
                        + "LABEL,LABEL,...; each label a word or KEY=VALUE)");
            }
            group.add(l);
        }
        return group;
    }

    private static void checkCount(String key, int n) {
        if (n < -1) {
            throw new InvalidPolicyException(key + ": " + n + " is not a count (use N >= 0, or -1 for unlimited)");
        }
    }

    private static void checkDuration(String key, RetentionDuration d) {
        if (d == null) {
            throw new InvalidPolicyException(key + ": null duration (use RetentionDuration.ZERO for off)");
        }
    }

    /** The label rule of the catalog (a word or KEY=VALUE, 1 to 256 printable characters, not starting with '='), and no comma. */
    private static void checkLabel(String label) {
        if (label == null || label.isEmpty() || label.length() > MAX_LABEL_LENGTH || label.startsWith("=")
                || label.indexOf(',') >= 0 || label.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new InvalidPolicyException("keep-label: invalid label '" + label + "' (a word or KEY=VALUE of 1 to "
                    + MAX_LABEL_LENGTH + " printable characters, not starting with '=', without ',')");
        }
    }
}

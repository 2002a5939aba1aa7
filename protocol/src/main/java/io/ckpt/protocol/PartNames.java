package io.ckpt.protocol;

/**
 * The rule for part names, applied at upload and again at restore: a relative path of
 * '/'-separated components, none empty, "." or "..", no NUL or backslash, at most 4096 UTF-8 bytes. A name that
 * passes cannot point outside the directory it is restored into.
 */
public final class PartNames {
    public static final int MAX_LENGTH = 4096;

    private PartNames() {}

    public static void check(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("empty part name");
        }
        if (name.length() > MAX_LENGTH || name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_LENGTH) {
            throw new IllegalArgumentException("part name longer than " + MAX_LENGTH + ": " + name.substring(0, 64) + "...");
        }
        if (name.startsWith("/")) {
            throw new IllegalArgumentException("absolute part name not allowed: " + name);
        }
        if (name.indexOf('\0') >= 0 || name.indexOf('\\') >= 0) {
            throw new IllegalArgumentException("part name contains NUL or backslash: " + name);
        }
        for (String component : name.split("/", -1)) {
            if (component.isEmpty() || component.equals(".") || component.equals("..")) {
                throw new IllegalArgumentException("part name has an empty, '.' or '..' component: " + name);
            }
        }
    }
}

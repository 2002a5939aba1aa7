package io.ckpt.protocol;

/**
 * One part of a checkpoint as it was on the host: a relative path with '/' separators (or the
 * stream's name), its type, POSIX mode bits, modification time and, for links, the target (at
 * most {@link PartNames#MAX_LENGTH} UTF-8 bytes, no NUL).
 */
public record PartInfo(String name, PartType type, int mode, long mtimeMillis, String linkTarget) {
    public PartInfo {
        PartNames.check(name);
        if (linkTarget == null) {
            linkTarget = "";
        }
        if (type == PartType.SYMLINK && linkTarget.isEmpty()) {
            throw new IllegalArgumentException("symbolic link part " + name + " has no target");
        }
        // No system stores a longer target (PATH_MAX), and a NUL cannot be in one: refused here
        // rather than when the restore creates the link.
        if (linkTarget.length() > PartNames.MAX_LENGTH
                || linkTarget.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > PartNames.MAX_LENGTH) {
            throw new IllegalArgumentException("link target of part " + name + " longer than " + PartNames.MAX_LENGTH + " bytes");
        }
        if (linkTarget.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("link target of part " + name + " contains NUL");
        }
    }
}

package io.ckpt.protocol;

/**
 * One part of a checkpoint as it was on the host: a relative path with '/' separators (or the
 * stream's name), its type, POSIX mode bits, modification time and, for links, the target.
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
    }
}

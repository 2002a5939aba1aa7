package io.ckpt.agent.upload;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/** POSIX permission bits of a file as an int (0755), read and applied without following links. */
public final class FileModes {
    private static final PosixFilePermission[] ORDER = {
        PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
        PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
        PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ,
    };

    private FileModes() {}

    public static int read(Path p) throws IOException {
        try {
            Object m = Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return ((Integer) m) & 07777;
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
            int mode = 0;
            for (int i = 0; i < ORDER.length; i++) {
                if (perms.contains(ORDER[i])) {
                    mode |= 1 << i;
                }
            }
            return mode;
        }
    }

    public static void apply(Path p, int mode) throws IOException {
        Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
        for (int i = 0; i < ORDER.length; i++) {
            if ((mode & (1 << i)) != 0) {
                perms.add(ORDER[i]);
            }
        }
        Files.setPosixFilePermissions(p, perms);
    }
}

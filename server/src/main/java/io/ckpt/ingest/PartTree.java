package io.ckpt.ingest;

import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartNames;
import io.ckpt.protocol.PartType;
import io.ckpt.protocol.RequestRefusedException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The part names of one upload as the tree a restore will create: a checkpoint that is accepted
 * must be restorable (issue 21, item 5), so a part sent twice, a part under a part that is not a
 * directory, and a non-directory part named like a directory an earlier part lies under are
 * refused (BAD_REQUEST, naming both parts), and so is a name component over 255 bytes. The names
 * are canonical already (the frame decoder and {@code PartNames}: one spelling per file name), so
 * these are checks on the files' own bytes.
 */
final class PartTree {
    private final Set<String> names = new HashSet<>();
    /** Names of parts that are not directories: nothing may be named under them. */
    private final Set<String> leaves = new HashSet<>();
    /**
     * Each directory some part lies under (its names' ancestors), mapped to the first such part:
     * a later non-directory part of that name is refused, as restore could not create both.
     */
    private final Map<String, String> ancestorOf = new HashMap<>();

    /** Adds {@code info}'s name, or refuses it (and adds nothing). */
    void add(PartInfo info) throws RequestRefusedException {
        String name = info.name();
        try {
            // No component past NAME_MAX: the restore could not create it. The decoder already made
            // the name canonical (PartNames), so the checks below are checks on the file's bytes.
            PartNames.checkStorable(name);
        } catch (IllegalArgumentException e) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, e.getMessage());
        }
        if (names.contains(name)) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "part '" + name + "' sent twice");
        }
        for (int slash = name.indexOf('/'); slash > 0; slash = name.indexOf('/', slash + 1)) {
            String parent = name.substring(0, slash);
            if (leaves.contains(parent)) {
                throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "part '" + name + "' lies under '" + parent
                        + "', which is not a directory (a symbolic link or file)");
            }
        }
        if (info.type() != PartType.DIRECTORY) {
            String under = ancestorOf.get(name);
            if (under != null) {
                throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "part '" + name + "' is a " + info.type()
                        + " but part '" + under + "' lies under it: restore could not create both");
            }
            leaves.add(name);
        }
        names.add(name);
        // Ancestors from the nearest up; one already known has its own ancestors known too.
        for (int slash = name.lastIndexOf('/'); slash > 0; slash = name.lastIndexOf('/', slash - 1)) {
            if (ancestorOf.putIfAbsent(name.substring(0, slash), name) != null) {
                break;
            }
        }
    }
}

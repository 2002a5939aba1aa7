package io.ckpt.fuzz;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The saved inputs of a fuzz target under test resources {@code /fuzz/<target>/}: inputs that once
 * broke a decoder (kept as regression tests) and seeds worth replaying. {@code index.txt} in
 * each directory lists the files, one a line, with '#' comments, so that the replay does not
 * depend on how the resources are packaged.
 */
public final class Corpus {
    private Corpus() {}

    /** Name and bytes of every input listed for {@code target}. */
    public static List<Map.Entry<String, byte[]>> load(String target) {
        String dir = "/fuzz/" + target + "/";
        List<Map.Entry<String, byte[]>> out = new ArrayList<>();
        for (String line : new String(read(dir + "index.txt"), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
            String name = line.strip();
            if (!name.isEmpty() && !name.startsWith("#")) {
                out.add(Map.entry(name, read(dir + name)));
            }
        }
        return out;
    }

    private static byte[] read(String resource) {
        try (InputStream in = Corpus.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("fuzz corpus file missing: " + resource);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

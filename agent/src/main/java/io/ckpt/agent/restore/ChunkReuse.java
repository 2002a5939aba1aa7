package io.ckpt.agent.restore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.ckpt.agent.net.CkptClient;
import io.ckpt.chunk.ChunkDigest;
import io.ckpt.chunk.ChunkerParams;
import io.ckpt.chunk.ContentDefinedChunker;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * A restore that takes the chunks it can from a directory this host already holds (an earlier
 * restore of the same WPAR, or one staged ahead of a relocation) and fetches only the rest from
 * the server: after a small change, a restore moves a small part of the image over the network.
 *
 * <p>The directory is indexed by cutting every file into chunks the way the server does (the
 * same FastCDC parameters, each file from its start) and hashing them. For each part of the
 * checkpoint the server's chunk list says which chunks are needed; local ones are read back and
 * their SHA-256 checked again as they are used, missing ones are fetched in one stream per page.
 * The receiver sees exactly the events of a normal restore and checks every part's length and
 * SHA-256 as usual, so what is restored is proven to be what was checkpointed. A local chunk
 * that no longer matches (the file changed since it was indexed) ends the attempt with
 * {@link StaleLocal}; the caller then restores the whole checkpoint from the server.
 */
public final class ChunkReuse {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();

    private ChunkReuse() {}

    /** Bytes taken from the local directory and bytes fetched from the server. */
    public record Stats(long reused, long fetched) {}

    /** A local chunk changed after it was indexed: restore the whole checkpoint instead. */
    public static final class StaleLocal extends IOException {
        StaleLocal(String message) {
            super(message);
        }
    }

    /** Where each chunk of a directory's regular files lies: compact arrays, sorted by digest prefix. */
    public static final class LocalChunks {
        private final List<Path> files = new ArrayList<>();
        private long[] prefix = new long[1024];
        private int[] file = new int[1024];
        private long[] offset = new long[1024];
        private int[] length = new int[1024];
        private int count;
        private long bytes;

        public int chunks() {
            return count;
        }

        public long bytes() {
            return bytes;
        }

        private void add(long p, int f, long off, int len) {
            if (count == prefix.length) {
                int n = count * 2;
                prefix = Arrays.copyOf(prefix, n);
                file = Arrays.copyOf(file, n);
                offset = Arrays.copyOf(offset, n);
                length = Arrays.copyOf(length, n);
            }
            prefix[count] = p;
            file[count] = f;
            offset[count] = off;
            length[count] = len;
            count++;
            bytes += len;
        }

        /** Sorts the entries by prefix (a simple index permutation, then the arrays in that order). */
        private void sort() {
            Integer[] order = new Integer[count];
            for (int i = 0; i < count; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Long.compare(prefix[a], prefix[b]));
            long[] p = new long[count];
            int[] f = new int[count];
            long[] o = new long[count];
            int[] l = new int[count];
            for (int i = 0; i < count; i++) {
                p[i] = prefix[order[i]];
                f[i] = file[order[i]];
                o[i] = offset[order[i]];
                l[i] = length[order[i]];
            }
            prefix = p;
            file = f;
            offset = o;
            length = l;
        }

        /** The index of an entry whose digest prefix and length match, or -1. */
        int find(byte[] digest, int len) {
            long p = ByteBuffer.wrap(digest, 0, 8).getLong();
            int lo = 0;
            int hi = count - 1;
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                if (prefix[mid] < p) {
                    lo = mid + 1;
                } else if (prefix[mid] > p) {
                    hi = mid - 1;
                } else {
                    int i = mid;
                    while (i > 0 && prefix[i - 1] == p) {
                        i--;
                    }
                    for (; i < count && prefix[i] == p; i++) {
                        if (length[i] == len) {
                            return i;
                        }
                    }
                    return -1;
                }
            }
            return -1;
        }
    }

    /** Indexes every regular file under {@code dir} (links not followed). */
    public static LocalChunks index(Path dir) throws IOException {
        LocalChunks idx = new LocalChunks();
        ContentDefinedChunker chunker = new ContentDefinedChunker(ChunkerParams.DEFAULT);
        MessageDigest sha = ChunkDigest.sha256();
        byte[] buf = new byte[4 * 1024 * 1024];
        byte[] digest = new byte[32];
        List<Path> regular;
        try (Stream<Path> walk = Files.walk(dir)) {
            regular = walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
        }
        for (Path p : regular) {
            int f = idx.files.size();
            idx.files.add(p);
            try (InputStream in = Files.newInputStream(p)) {
                long base = 0; // file offset of buf[0]
                int len = 0;
                boolean eof = false;
                while (true) {
                    while (!eof && len < buf.length) {
                        int n = in.read(buf, len, buf.length - len);
                        if (n < 0) {
                            eof = true;
                        } else {
                            len += n;
                        }
                    }
                    int pos = 0;
                    // Cut as ingest does: only while a whole maximum chunk remains, or at the end of the file.
                    while (len - pos >= chunker.maxSize() || (eof && pos < len)) {
                        int n = chunker.nextCut(buf, pos, len - pos);
                        sha.update(buf, pos, n);
                        try {
                            sha.digest(digest, 0, 32);
                        } catch (DigestException e) {
                            throw new AssertionError(e);
                        }
                        idx.add(ByteBuffer.wrap(digest, 0, 8).getLong(), f, base + pos, n);
                        pos += n;
                    }
                    if (eof && pos >= len) {
                        break;
                    }
                    System.arraycopy(buf, pos, buf, 0, len - pos);
                    base += pos;
                    len -= pos;
                }
            }
        }
        idx.sort();
        return idx;
    }

    /**
     * Restores checkpoint {@code id} (whose parts {@code parts} lists, as the server's show
     * answer does) into {@code receiver}, taking chunks from {@code local} where it can.
     */
    public static Stats restore(ServerLink server, long id, JsonNode checkpoint, int partCount, LocalChunks local,
            CkptClient.RestoreReceiver receiver) throws IOException {
        receiver.header(checkpoint);
        long reused = 0;
        long fetched = 0;
        MessageDigest sha = ChunkDigest.sha256();
        byte[] got = new byte[32];
        byte[] buf = new byte[64 * 1024];
        FileChannel open = null;
        int openFile = -1;
        try {
            for (int part = 0; part < partCount; part++) {
                int from = 0;
                JsonNode info = null;
                boolean begun = false;
                while (from >= 0) {
                    JsonNode page = server.request(JSON.createObjectNode().put("op", "chunk_list").put("id", id)
                            .put("part", part).put("from", from));
                    if (!begun) {
                        info = page.path("info");
                        receiver.beginPart(new PartInfo(info.path("name").asText(), PartType.of(info.path("type").asInt()),
                                info.path("mode").asInt(), info.path("mtime").asLong(), info.path("target").asText("")));
                        begun = true;
                    }
                    String hex = page.path("digests").asText("");
                    JsonNode lengths = page.path("lengths");
                    int n = lengths.size();
                    int[] where = new int[n];
                    ArrayNode ranges = JSON.createArrayNode();
                    int missingFrom = -1;
                    for (int i = 0; i < n; i++) {
                        where[i] = local.find(HEX.parseHex(hex, i * 64, i * 64 + 64), lengths.get(i).asInt());
                        if (where[i] < 0 && missingFrom < 0) {
                            missingFrom = i;
                        } else if (where[i] >= 0 && missingFrom >= 0) {
                            ranges.addArray().add(from + missingFrom).add(from + i);
                            missingFrom = -1;
                        }
                    }
                    if (missingFrom >= 0) {
                        ranges.addArray().add(from + missingFrom).add(from + n);
                    }
                    InputStream remote = ranges.isEmpty() ? null : server.fetch(JSON.createObjectNode().put("op", "fetch")
                            .put("id", id).put("part", part).set("ranges", ranges));
                    try {
                        for (int i = 0; i < n; i++) {
                            int len = lengths.get(i).asInt();
                            if (buf.length < len) {
                                buf = new byte[len];
                            }
                            if (where[i] < 0) {
                                readFully(remote, buf, len);
                                fetched += len;
                            } else {
                                int e = where[i];
                                if (openFile != local.file[e]) {
                                    if (open != null) {
                                        open.close();
                                    }
                                    open = FileChannel.open(local.files.get(local.file[e]), StandardOpenOption.READ);
                                    openFile = local.file[e];
                                }
                                ByteBuffer bb = ByteBuffer.wrap(buf, 0, len);
                                long at = local.offset[e];
                                while (bb.hasRemaining()) {
                                    int r = open.read(bb, at + bb.position());
                                    if (r < 0) {
                                        throw new StaleLocal(local.files.get(openFile) + " got shorter since it was indexed");
                                    }
                                }
                                byte[] want = HEX.parseHex(hex, i * 64, i * 64 + 64);
                                sha.update(buf, 0, len);
                                try {
                                    sha.digest(got, 0, 32);
                                } catch (DigestException ex) {
                                    throw new AssertionError(ex);
                                }
                                if (!Arrays.equals(got, want)) {
                                    throw new StaleLocal(local.files.get(openFile) + " changed since it was indexed");
                                }
                                reused += len;
                            }
                            receiver.data(ByteBuffer.wrap(buf, 0, len));
                        }
                    } finally {
                        if (remote != null) {
                            remote.close();
                        }
                    }
                    from = page.path("next").asInt(-1);
                }
                receiver.endPart(info.path("size").asLong(), HEX.parseHex(info.path("sha256").asText()));
            }
        } finally {
            if (open != null) {
                open.close();
            }
        }
        return new Stats(reused, fetched);
    }

    private static void readFully(InputStream in, byte[] b, int len) throws IOException {
        int off = 0;
        while (off < len) {
            int n = in.read(b, off, len - off);
            if (n < 0) {
                throw new IOException("the server's fetch ended " + (len - off) + " bytes early");
            }
            off += n;
        }
    }
}

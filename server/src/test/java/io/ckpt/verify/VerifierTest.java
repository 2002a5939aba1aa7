package io.ckpt.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.catalog.ChunkDao;
import io.ckpt.catalog.ChunkRef;
import io.ckpt.catalog.MetaDao;
import io.ckpt.catalog.PackDao;
import io.ckpt.ingest.ScratchDatastore;
import io.ckpt.restore.ReadersInUse;
import io.ckpt.store.PackFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scheduled verify reads a share of the packs per run, in rotation: at 25% four runs read every
 * pack exactly once, the rotation survives reopening the catalog, and a damaged record is found by
 * the run that reads its pack and reported as a whole verify reports it.
 */
final class VerifierTest {
    private static final long T = 1_700_000_000_000L;

    @TempDir
    Path dir;
    private ScratchDatastore store;
    private final List<Long> checkpoints = new ArrayList<>();

    @BeforeEach
    void uploadFourCheckpointsOverEightPacks() throws IOException {
        store = ScratchDatastore.open(dir.resolve("ds"));
        for (int i = 0; i < 4; i++) {
            byte[] noise = new byte[7 << 20]; // incompressible, unshared: each checkpoint has chunks of its own
            new Random(40 + i).nextBytes(noise);
            checkpoints.add(store.upload("app0" + i, T + i, noise).id());
        }
    }

    @AfterEach
    void close() throws IOException {
        store.close();
    }

    private Verifier verifier() {
        return new Verifier(store.catalog(), store.ds(), new ReadersInUse());
    }

    private List<Long> packIds() throws IOException {
        return store.catalog().read(h -> h.attach(PackDao.class).ids()).stream().sorted().toList();
    }

    /** The packs a share run selected: the existing ids within its reported ranges, in reading order. */
    private List<Long> selected(JsonNode report, List<Long> packs) {
        List<Long> out = new ArrayList<>();
        for (JsonNode r : report.path("pack_ids")) {
            packs.stream().filter(id -> id >= r.path("from").asLong() && id <= r.path("to").asLong()).forEach(out::add);
        }
        return out;
    }

    private Optional<String> cursor() throws IOException {
        return store.catalog().read(h -> h.attach(MetaDao.class).get(Verifier.CURSOR));
    }

    @Test
    void fourQuarterRunsReadEveryPackExactlyOnceAcrossAReopenedCatalog() throws IOException {
        List<Long> packs = packIds();
        assertEquals(8, packs.size(), "setup: four 7 MiB checkpoints over 4 MiB packs " + packs);
        long allChunks = store.catalog().read(h -> h.attach(ChunkDao.class).count());
        List<Long> read = new ArrayList<>();
        long chunks = 0;
        for (int run = 0; run < 4; run++) {
            if (run == 2) { // a restart between runs: the rotation goes on where it stopped
                store.close();
                store = ScratchDatastore.open(dir.resolve("ds"));
                assertEquals(Optional.of(Long.toString(packs.get(3))), cursor(), "the cursor is the last pack read");
            }
            ObjectNode r = verifier().verifyShare(25, false);
            assertTrue(r.path("ok").asBoolean(), r::toString);
            assertEquals(25, r.path("share_percent").asInt(), r::toString);
            assertEquals(8, r.path("packs_total").asLong(), r::toString);
            assertEquals(2, r.path("packs_selected").asLong(), r::toString);
            assertEquals(2, r.path("packs_checked").asLong(), r::toString);
            List<Long> these = selected(r, packs);
            assertEquals(packs.subList(2 * run, 2 * run + 2), these, "run " + run + ": " + r);
            read.addAll(these);
            chunks += r.path("chunks_checked").asLong();
        }
        assertEquals(packs, read, "every pack once, in id order");
        assertEquals(allChunks, chunks, "every chunk once");
        assertEquals(Optional.of(Long.toString(packs.get(7))), cursor());
        assertEquals(packs.subList(0, 2), selected(verifier().verifyShare(25, false), packs), "the fifth run starts over");
    }

    @Test
    void flippedByteIsFoundByTheRunThatReadsItsPackAndNamesTheCheckpoint() throws IOException {
        List<Long> packs = packIds();
        long damagedPack = packs.get(5);
        ChunkRef c = store.catalog().read(h -> h.attach(ChunkDao.class).inPack(damagedPack)).get(3);
        flipByte(store.ds().packPath(damagedPack), c.offset() + PackFormat.RECORD_HEADER_LENGTH + c.storedLength() / 2);
        JsonNode whole = verifier().verify(null, false);
        assertFalse(whole.path("ok").asBoolean(), whole::toString);
        assertEquals(1, whole.path("damaged_checkpoints").size(), whole::toString);

        int found = 0;
        for (int run = 0; run < 4; run++) {
            ObjectNode r = verifier().verifyShare(25, false);
            if (selected(r, packs).contains(damagedPack)) {
                found++;
                assertFalse(r.path("ok").asBoolean(), r::toString);
                assertEquals(1, r.path("damaged_chunks").asInt(), r::toString);
                assertTrue(r.path("chunk_problems").get(0).path("problem").asText().contains("CRC32C"), r::toString);
                assertEquals(whole.path("damaged_checkpoints"), r.path("damaged_checkpoints"), "named as a whole verify names it");
            } else {
                assertTrue(r.path("ok").asBoolean(), "run " + run + " does not read pack " + damagedPack + ": " + r);
            }
        }
        assertEquals(1, found, "one run of four reads pack " + damagedPack);
    }

    @Test
    void wholeVerifyAndAFullShareLeaveTheRotationAlone() throws IOException {
        List<Long> packs = packIds();
        verifier().verifyShare(25, false);
        for (JsonNode r : List.of(verifier().verify(null, true), verifier().verifyShare(100, false))) {
            assertTrue(r.path("ok").asBoolean(), r::toString);
            assertEquals(100, r.path("share_percent").asInt(), r::toString);
            assertEquals(8, r.path("packs_checked").asLong(), r::toString);
            assertTrue(r.path("pack_ids").isMissingNode(), r::toString);
        }
        assertEquals(packs.subList(2, 4), selected(verifier().verifyShare(25, false), packs), "the rotation goes on");
    }

    @Test
    void shareOfAFewPacksRoundsUpToWholePacks() throws IOException {
        List<Long> packs = packIds();
        // 30% of 8 packs is 2.4: three a run, so the third run reads the last two and wraps to the first.
        List<Long> read = new ArrayList<>();
        for (int run = 0; run < 3; run++) {
            read.addAll(selected(verifier().verifyShare(30, false), packs));
        }
        List<Long> expected = new ArrayList<>(packs);
        expected.add(packs.get(0));
        assertEquals(expected, read, "every pack once, then the first again");
        assertEquals(Optional.of(Long.toString(packs.get(0))), cursor());
    }

    private static void flipByte(Path file, long position) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, position);
            one.put(0, (byte) ~one.get(0)).rewind();
            ch.write(one, position);
        }
    }
}

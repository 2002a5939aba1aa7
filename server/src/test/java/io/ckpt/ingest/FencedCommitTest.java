package io.ckpt.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.catalog.CheckpointDao;
import io.ckpt.chunk.ChunkDigest;
import io.ckpt.chunk.ChunkerParams;
import io.ckpt.chunk.ContentDefinedChunker;
import io.ckpt.control.Ownership;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import io.ckpt.protocol.RequestRefusedException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fence at commit (docs/ARCHITECTURE.md, invariant 2): a checkpoint becomes complete only if,
 * in the committing transaction, its uploader is the WPAR's owner at the epoch it began under.
 * The moves here go through an {@link Ownership} whose {@link OpenUploads} no session is in, so
 * nothing ends the uploads early: only the commit transaction stands between them and history.
 */
final class FencedCommitTest {
    private static final long T = 1_700_000_000_000L;

    @TempDir
    Path dir;
    private ScratchDatastore store;
    private Ownership ownership;

    @BeforeEach
    void open() throws IOException {
        store = ScratchDatastore.open(dir.resolve("ds"));
        ownership = new Ownership(store.catalog(), store.ds().journal());
    }

    @AfterEach
    void close() throws IOException {
        store.close();
    }

    private IngestSession begin(String wpar, String host, boolean delta) throws IOException {
        return IngestSession.begin(store.ds(), store.catalog(), store.packs(), ChunkerParams.DEFAULT,
                UploadRequest.of(wpar, T, "scheduled", List.of(), host).withHealth("good", "").inDeltaMode(delta));
    }

    private static byte[] bytes(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** One part, in stream mode or (one chunk) in delta mode. */
    private static void sendPart(IngestSession s, byte[] image) throws IOException {
        s.beginPart(new PartInfo("memory.img", PartType.FILE, 0600, 0, ""));
        if (!s.isDelta()) {
            ScratchDatastore.feed(s, image);
            s.endPart(image.length, ChunkDigest.compute(image, 0, image.length).toBytes());
            return;
        }
        int n = new ContentDefinedChunker(ChunkerParams.DEFAULT).nextCut(image, 0, image.length);
        byte[] chunk = Arrays.copyOf(image, n);
        byte[] digest = ChunkDigest.compute(chunk, 0, n).toBytes();
        s.chunkData(new Frame.ChunkData(digest, n, Frame.ChunkData.CODEC_NONE, chunk));
        s.chunkRefs(new Frame.ChunkRefs(digest, new int[] {n}));
        s.endPart(n, digest); // one chunk: the part's SHA-256 is the chunk's
    }

    private void assertRefusedAndGone(IngestSession s, String... named) throws IOException {
        long id = s.checkpointId();
        RequestRefusedException e = assertThrows(RequestRefusedException.class, s::commit, "the commit of a fenced upload");
        assertEquals(ErrorCode.FENCED, e.code(), e.getMessage());
        for (String n : named) {
            assertTrue(e.getMessage().contains(n), "names " + n + ": " + e.getMessage());
        }
        assertTrue(store.catalog().read(h -> h.attach(CheckpointDao.class).find(id)).isEmpty(),
                "checkpoint " + id + " is removed as on any failed commit");
        assertFalse(Files.exists(store.ds().manifestPath(id)), "its manifest is removed");
    }

    @Test
    void streamUploadBegunBeforeATakeOverIsRefusedAtCommitAndLeavesNothing() throws IOException {
        IngestSession s = begin("web01", "nodeA", false);
        sendPart(s, bytes(1, 3 << 20));
        ownership.claim("web01", "nodeB", true);
        assertRefusedAndGone(s, "checkpoint " + s.checkpointId(), "WPAR web01", "host nodeA", "epoch 1", "nodeB at epoch 2");
    }

    @Test
    void deltaUploadBegunBeforeAFailoverTransferIsRefusedAtCommit() throws IOException {
        IngestSession s = begin("web02", "nodeA", true);
        sendPart(s, bytes(2, 200_000));
        ownership.transfer("web02", "nodeB", 1); // what Mover does for relocate, failover and rebalance
        assertRefusedAndGone(s, "WPAR web02", "host nodeA", "epoch 1", "nodeB at epoch 2");
    }

    @Test
    void uploadBegunBeforeAMoveAwayAndBackIsRefusedThoughItsHostOwnsTheWparAgain() throws IOException {
        IngestSession s = begin("web03", "nodeA", false);
        sendPart(s, bytes(3, 100_000));
        ownership.transfer("web03", "nodeB", 1);
        ownership.transfer("web03", "nodeA", 2);
        assertRefusedAndGone(s, "epoch 1", "nodeA at epoch 3");
        // Begun under the epoch it commits in, the next one stands.
        IngestSession again = begin("web03", "nodeA", false);
        sendPart(again, bytes(3, 100_000));
        assertEquals(again.checkpointId(), again.commit().id());
    }

    @Test
    void anonymousUploadOfAnUnownedWparIsRefusedOnceAHostClaimedIt() throws IOException {
        IngestSession anonymous = begin("web04", "", false);
        sendPart(anonymous, bytes(4, 100_000));
        store.upload("web04", T, bytes(5, 100_000)); // a named host's first upload claims it (epoch 1)
        assertRefusedAndGone(anonymous, "an unnamed client", "epoch 0", "test-host at epoch 1");
    }

    @Test
    void claimThatChangesNothingFencesNothing() throws IOException {
        IngestSession s = begin("web05", "nodeA", true);
        sendPart(s, bytes(6, 100_000));
        ownership.claim("web05", "nodeA", false);
        assertEquals(s.checkpointId(), s.commit().id(), "still the owner at the epoch it began under");
    }

    @Test
    void aMoveEndsTheUploadsOfTheWparBegunUnderAnOlderEpochAndNoOthers() throws IOException {
        OpenUploads uploads = new OpenUploads();
        Ownership fencing = new Ownership(store.catalog(), store.ds().journal(), uploads);
        List<String> told = new ArrayList<>();
        IngestSession a = begin("web06", "nodeA", false);
        IngestSession other = begin("web07", "nodeA", false);
        uploads.open(a.checkpointId(), a.began(), why -> told.add("a: " + why));
        OpenUploads.Entry keep = uploads.open(other.checkpointId(), other.began(), why -> told.add("other: " + why));

        assertEquals(1, uploads.count("web06"));
        fencing.claim("web06", "nodeB", true);
        assertEquals(1, told.size(), told::toString);
        assertTrue(told.get(0).startsWith("a: upload of checkpoint " + a.checkpointId() + " of WPAR web06 by host nodeA"
                + " fenced: the WPAR moved to nodeB at epoch 2"), told::toString);
        assertTrue(told.get(0).contains("begun under epoch 1"), told::toString);
        assertEquals(0, uploads.count("web06"), "forgotten once told");

        // An upload registered after the move it began before (a moment late) is told at once.
        IngestSession late = begin("web07", "nodeA", false);
        told.clear();
        fencing.transfer("web07", "nodeB", 1);
        // "other" was registered and is told; "late" registers only now, under epoch 1, and is told at once.
        uploads.open(late.checkpointId(), late.began(), why -> told.add("late: " + why));
        assertEquals(2, told.size(), told::toString);
        assertTrue(told.get(0).startsWith("other: "), told::toString);
        assertTrue(told.get(1).startsWith("late: upload of checkpoint " + late.checkpointId()), told::toString);

        // Begun under the new epoch: nothing to end.
        IngestSession b = begin("web07", "nodeB", false);
        uploads.open(b.checkpointId(), b.began(), why -> told.add("b: " + why)).close();
        assertEquals(2, told.size(), told::toString);
        keep.close();
        a.abort();
        other.abort();
        late.abort();
        b.abort();
    }
}

package io.ckpt.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.ingest.ScratchDatastore;
import io.ckpt.store.Journal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which manifests a rebuilt catalog takes in (CatalogRebuilder, docs/FORMAT.md "Journal"): from
 * the lowest {@code commits_journaled} mark on, only those a {@code commit} event names; below it,
 * and in a journal with no mark (written before commits were journaled), every one.
 * RebuildAfterCutCommitTest (src-test) lands the kill that leaves such a manifest behind.
 */
final class CatalogRebuilderTest {
    private static final long T = 1_700_000_000_000L;

    @TempDir
    Path dir;

    @Test
    void aManifestWithoutItsCommitEventIsSetAsideAndTheCommittedOnesAreTakenIn() throws IOException {
        long[] ids = threeCheckpoints(true);
        dropJournalLines("\"op\":\"commit\",\"at\":\\d+,\"id\":" + ids[2] + ",");

        CatalogRebuilder.Report r = rebuild();
        assertEquals(2, r.checkpoints, r.uncommittedCheckpoints::toString);
        assertEquals(1, r.uncommittedCheckpoints.size(), r.uncommittedCheckpoints::toString);
        assertTrue(r.uncommittedCheckpoints.get(0).startsWith("checkpoint " + ids[2] + ":"), r.uncommittedCheckpoints::toString);
        assertTrue(r.clean(), "an upload cut off before its commit is not damage");
        Path aside = dir.resolve("ds/manifests").resolve(CatalogRebuilder.UNCOMMITTED).resolve(String.format("%016x.manifest", ids[2]));
        assertTrue(Files.isRegularFile(aside), "kept aside, not deleted: " + aside);
        assertTrue(r.nextCheckpointIdAbove >= ids[2], "its id is never given again");
    }

    @Test
    void aJournalFromBeforeCommitsWereJournaledTakesEveryManifestIn() throws IOException {
        long[] ids = threeCheckpoints(false);
        dropJournalLines("\"op\":\"commit\",");

        CatalogRebuilder.Report r = rebuild();
        assertEquals(ids.length, r.checkpoints, r.uncommittedCheckpoints::toString);
        assertEquals(List.of(), r.uncommittedCheckpoints);
    }

    @Test
    void aCompactedJournalStillVouchesForEveryCheckpointItWasTakenFrom() throws IOException {
        long[] ids = threeCheckpoints(true);
        try (ScratchDatastore s = ScratchDatastore.open(dir.resolve("ds"))) {
            s.ds().journal().rewrite(CatalogJournal.journalSnapshot(s.catalog(), s.ds()));
        }
        CatalogRebuilder.Report r = rebuild();
        assertEquals(ids.length, r.checkpoints, r.uncommittedCheckpoints::toString);
        assertEquals(List.of(), r.uncommittedCheckpoints);
    }

    @Test
    void aCheckpointPrunedBeforeTheUnlinkOfItsManifestWasCutOffStaysRemoved() throws IOException {
        long[] ids = threeCheckpoints(true);
        Path manifest = dir.resolve("ds/manifests").resolve(String.format("%016x.manifest", ids[0]));
        byte[] kept = Files.readAllBytes(manifest);
        try (ScratchDatastore s = ScratchDatastore.open(dir.resolve("ds"))) {
            new io.ckpt.retention.Pruner(s.catalog(), s.ds(), new io.ckpt.restore.ReadersInUse(),
                    io.ckpt.retention.RetentionConfig.NONE).prune("w1", io.ckpt.retention.RetentionPolicy.of("keep-last", "2"),
                    false, false);
        }
        Files.write(manifest, kept); // the prune was killed after its rows went and before the unlink of this manifest

        CatalogRebuilder.Report r = rebuild();
        assertEquals(2, r.checkpoints, "checkpoint " + ids[0] + " was pruned and does not come back");
        assertEquals(1, r.prunedManifests);
        assertTrue(Files.notExists(manifest), "the rebuild finished the prune");
        assertTrue(r.clean());
    }

    /** Three committed checkpoints, with the start's mark before them when {@code marked}. */
    private long[] threeCheckpoints(boolean marked) throws IOException {
        try (ScratchDatastore s = ScratchDatastore.open(dir.resolve("ds"))) {
            if (marked) {
                CatalogJournal.markCommitsJournaled(s.ds(), s.catalog());
            }
            long[] ids = new long[3];
            for (int i = 0; i < ids.length; i++) {
                byte[] b = new byte[200_000];
                new Random(i).nextBytes(b);
                ids[i] = s.upload("w1", T + i, b).id();
            }
            return ids;
        }
    }

    private void dropJournalLines(String regex) throws IOException {
        Path journal = dir.resolve("ds").resolve("journal").resolve(Journal.FILE);
        java.util.regex.Pattern p = java.util.regex.Pattern.compile(regex);
        List<String> kept = Files.readAllLines(journal).stream().filter(l -> !p.matcher(l).find()).toList();
        Files.write(journal, kept);
    }

    private CatalogRebuilder.Report rebuild() throws IOException {
        try (ScratchDatastore s = ScratchDatastore.open(dir.resolve("ds"));
                Catalog fresh = Catalog.open(dir.resolve("rebuilt.db"), s.ds().id())) {
            return new CatalogRebuilder(s.ds(), fresh, m -> { }).run();
        }
    }
}

package io.ckpt.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.UploadFence;
import io.ckpt.catalog.WparDao;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.RequestRefusedException;
import io.ckpt.store.Journal;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The first uploader claims a WPAR; afterwards only an explicit take-over or transfer moves it, and fences the old owner. */
final class OwnershipTest {
    @TempDir
    Path dir;
    private Catalog catalog;
    private Journal journal;
    private Ownership ownership;

    @BeforeEach
    void open() throws IOException {
        catalog = Catalog.open(dir.resolve("catalog.db"), "ds");
        journal = new Journal(dir.resolve("journal").resolve(Journal.FILE));
        ownership = new Ownership(catalog, journal);
    }

    @AfterEach
    void close() throws IOException {
        journal.close();
        catalog.close();
    }

    private void upload(String wpar, String host) throws IOException {
        catalog.write(h -> {
            h.attach(WparDao.class).ensure(wpar, 1);
            UploadFence.checkUpload(h, journal, wpar, host, 1);
            return null;
        });
    }

    @Test
    void firstUploaderClaimsAndOthersAreFenced() throws IOException {
        upload("web01", "nodeA");
        upload("web01", "nodeA");
        assertEquals(new WparDao.Owner("web01", "nodeA", 1), ownership.owner("web01").orElseThrow());
        RequestRefusedException e = assertThrows(RequestRefusedException.class, () -> upload("web01", "nodeB"));
        assertEquals(ErrorCode.FENCED, e.code());
        assertTrue(e.getMessage().contains("owned by nodeA (epoch 1); host nodeB may not upload"), e.getMessage());
        assertThrows(RequestRefusedException.class, () -> upload("web01", ""), "an anonymous client may not write an owned WPAR");
    }

    @Test
    void anonymousUploadClaimsNothing() throws IOException {
        upload("db01", "");
        assertEquals(null, ownership.owner("db01").orElseThrow().ownerHost());
        upload("db01", "nodeB");
        assertEquals("nodeB", ownership.owner("db01").orElseThrow().ownerHost());
    }

    @Test
    void claimFromAnotherHostNeedsTakeOverAndRaisesTheEpoch() throws IOException {
        upload("web01", "nodeA");
        RequestRefusedException e = assertThrows(RequestRefusedException.class, () -> ownership.claim("web01", "nodeB", false));
        assertEquals(ErrorCode.REFUSED, e.code());
        assertTrue(e.getMessage().contains("refusing a second copy"), e.getMessage());
        Ownership.Owner o = ownership.claim("web01", "nodeB", true);
        assertEquals(new Ownership.Owner("web01", "nodeB", 2, "nodeA", true), o);
        assertEquals(new Ownership.Owner("web01", "nodeB", 2, "nodeB", false), ownership.claim("web01", "nodeB", false));
        assertThrows(RequestRefusedException.class, () -> upload("web01", "nodeA"), "the old owner is fenced");
        assertThrows(RequestRefusedException.class, () -> ownership.confirm("web01", "nodeA", 1));
        ownership.confirm("web01", "nodeB", 2);
    }

    @Test
    void transferChecksTheEpochItStartedFrom() throws IOException {
        upload("web01", "nodeA");
        assertEquals(2, ownership.transfer("web01", "nodeB", 1).epoch());
        RequestRefusedException e = assertThrows(RequestRefusedException.class, () -> ownership.transfer("web01", "nodeC", 1));
        assertEquals(ErrorCode.CONFLICT, e.code());
    }

    @Test
    void everyChangeIsJournaled() throws IOException {
        upload("web01", "nodeA");
        ownership.claim("web01", "nodeB", true);
        var events = journal.read().events();
        assertEquals(2, events.size());
        assertEquals("nodeB", events.get(1).path("host").asText());
        assertEquals(2, events.get(1).path("epoch").asLong());
    }
}

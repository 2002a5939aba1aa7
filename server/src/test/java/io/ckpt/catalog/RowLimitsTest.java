package io.ckpt.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Catalog rows past the limits ingest enforces (a damaged or edited catalog) fail naming the row. */
class RowLimitsTest {
    @TempDir
    Path dir;
    private Catalog catalog;
    private long id;

    @BeforeEach
    void open() throws IOException {
        catalog = Catalog.open(dir.resolve("catalog.db"), "ds-row-limits");
        id = catalog.write(h -> {
            h.attach(WparDao.class).ensure("web01", 1);
            return h.attach(CheckpointDao.class).create("web01", 1_700_000_000_000L, "scheduled", "host1", 2);
        });
    }

    @AfterEach
    void close() {
        catalog.close();
    }

    @Test
    void hostOfAMegabyteIsRefusedNamingTheCheckpointRowAndColumn() throws IOException {
        catalog.write(h -> h.execute("UPDATE checkpoints SET host = ? WHERE id = ?", "h".repeat(1 << 20), id));
        CatalogRowException e = assertThrows(CatalogRowException.class,
                () -> catalog.read(h -> h.attach(CheckpointDao.class).find(id)));
        assertEquals("catalog row checkpoints id=" + id + ": host of 1048576 characters, more than the limit of 256"
                + " (the catalog is damaged or was edited; 'ckpt server rebuild-catalog' recreates it from the datastore)",
                e.getMessage());
    }

    @Test
    void tooManyLabelsAndTooLongALabelAreRefusedNamingTheCheckpoint() throws IOException {
        catalog.write(h -> {
            for (int i = 0; i < 65; i++) {
                h.execute("INSERT INTO labels (checkpoint_id, label) VALUES (?, ?)", id, "l" + i);
            }
            return null;
        });
        CatalogRowException many = assertThrows(CatalogRowException.class,
                () -> catalog.read(h -> h.attach(LabelDao.class).of(id)));
        assertEquals("catalog row labels checkpoint_id=" + id + ": 65 labels, more than the limit of 64", many.getMessage()
                .substring(0, many.getMessage().indexOf(" (the catalog")));
        catalog.write(h -> h.execute("DELETE FROM labels WHERE checkpoint_id = ?", id));
        catalog.write(h -> h.execute("INSERT INTO labels (checkpoint_id, label) VALUES (?, ?)", id, "x".repeat(300)));
        CatalogRowException longOne = assertThrows(CatalogRowException.class,
                () -> catalog.read(h -> h.attach(LabelDao.class).of(id)));
        assertEquals("catalog row labels checkpoint_id=" + id + ": label of 300 characters, more than the limit of 256",
                longOne.getMessage().substring(0, longOne.getMessage().indexOf(" (the catalog")));
    }

    @Test
    void partNameWithANulIsRefusedNamingThePartRow() throws IOException {
        catalog.write(h -> h.execute("INSERT INTO parts (checkpoint_id, seq, name, type, mode, mtime) VALUES (?, 0, ?, 0, 420, 0)",
                id, "bad\0name"));
        CatalogRowException e = assertThrows(CatalogRowException.class,
                () -> catalog.read(h -> h.attach(PartDao.class).of(id)));
        assertEquals(true, e.getMessage().startsWith("catalog row parts id="), e.getMessage());
        assertEquals(true, e.getMessage().contains("(checkpoint " + id + "): "), e.getMessage());
    }
}

package io.ckpt.restore;

import io.ckpt.ingest.ScratchDatastore;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;

/**
 * Every case of {@link RestorerTest} again with read-ahead: the chunks are read and verified on
 * another thread, and the bytes, their order and the failures reaching the sink are the same.
 */
final class RestorerReadAheadTest extends RestorerTest {
    private final ExecutorService readers = Executors.newCachedThreadPool();

    @Override
    Restorer newRestorer(ScratchDatastore store) {
        return new Restorer(store.catalog(), store.ds(), readers);
    }

    @AfterEach
    void stopReaders() {
        readers.shutdownNow();
    }
}

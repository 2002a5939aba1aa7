package io.ckpt.it;

import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Base of test classes whose tests share one server process (started once per class) and a CLI for it. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class SharedServer {
    protected ServerProcess server;
    protected Cli ckpt;

    @BeforeAll
    public void startServer(@TempDir Path classDir) throws IOException {
        server = ServerProcess.start(classDir.resolve("datastore"));
        ckpt = Cli.against(server);
    }

    @AfterAll
    public void stopServer() {
        if (server != null) {
            server.close();
        }
    }
}

package io.ckpt.it.operator;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.it.Cli;
import io.ckpt.it.SharedServer;
import org.junit.jupiter.api.Test;

/**
 * Issue 18, bug 7: the CLI pointed at the server's HTTP port printed "frame of 1213486160 bytes
 * exceeds the maximum" (the bytes "HTTP" read as a frame length). It must say that the peer speaks
 * HTTP, not the ckpt protocol, and which port to give instead.
 */
class WrongPortTest extends SharedServer {
    @Test
    void theCliPointedAtTheHttpPortSaysItIsTheHttpPort() {
        Cli.Result r = Cli.against("127.0.0.1:" + server.httpPort()).run("list");
        assertTrue(r.exitCode() == 4, "a peer that is not a ckpt server is unreachable as one (exit 4): " + r);
        assertTrue(r.stderr().contains("HTTP"), r::toString);
        assertTrue(r.stderr().contains("not the ckpt protocol"), r::toString);
        assertFalse(r.stderr().contains("exceeds the maximum"), r::toString);
    }
}

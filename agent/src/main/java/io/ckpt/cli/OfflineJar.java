package io.ckpt.cli;

import io.ckpt.agent.offline.OfflineDatastore;

/**
 * The commands that read a datastore without a server ({@code --datastore}) need the offline jar:
 * bin/ckpt runs it for them. Run from the bare client jar, they end here with exit status 2.
 */
final class OfflineJar {
    private OfflineJar() {}

    /** The offline implementation, or a usage error saying how to run {@code ckpt COMMAND --datastore}. */
    static OfflineDatastore require(String command) throws CliException {
        return OfflineDatastore.find().orElseThrow(() -> new CliException(ExitCode.USAGE, "'" + command
                + " --datastore' reads the datastore with the server's classes, which the client jar leaves out:"
                + " run it with bin/ckpt (it runs " + OfflineDatastore.JAR + " for --datastore), or as"
                + " 'java -jar ckpt-offline.jar " + command + " --datastore DIR ...'"));
    }
}

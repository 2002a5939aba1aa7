package io.ckpt.agent.config;

import java.io.IOException;
import java.net.InetAddress;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Where the defaults that depend on the host come from: {@code $CKPT_SERVER} for {@code server}, the hostname for
 * {@code host-id}. Tests pass their own.
 *
 * @param serverVariable the value of {@code $CKPT_SERVER}, if set and not blank
 * @param hostName the hostname, looked up only when {@code host-id} is not set; empty if it cannot be found
 */
public record HostEnvironment(Optional<String> serverVariable, Supplier<Optional<String>> hostName) {

    /** This process's environment and this host's name. */
    public static HostEnvironment current() {
        return new HostEnvironment(Optional.ofNullable(System.getenv("CKPT_SERVER")).filter(s -> !s.isBlank()),
                HostEnvironment::localHostName);
    }

    /** Fixed values, for tests. */
    public static HostEnvironment of(String serverVariable, String hostName) {
        return new HostEnvironment(Optional.ofNullable(serverVariable), () -> Optional.ofNullable(hostName));
    }

    private static Optional<String> localHostName() {
        try {
            return Optional.of(InetAddress.getLocalHost().getHostName()).filter(s -> !s.isBlank());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}

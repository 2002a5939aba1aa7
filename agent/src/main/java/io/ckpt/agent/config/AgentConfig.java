package io.ckpt.agent.config;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The agent's configuration ({@code ckpt agent --config FILE}), loaded and validated once: the agent starts fully
 * configured or not at all. Unknown keys are errors. The schema, with defaults:
 *
 * <pre>{@code
 * server: 127.0.0.1:7420          # HOST:PORT; default $CKPT_SERVER, else 127.0.0.1:7420; or a mapping:
 * server:                         #   with TLS and a credential (docs/SECURITY.md)
 *   address: ckpt.example.org:7420
 *   tls-ca: /etc/ckpt/ca.crt      #   the server's CA certificate: TLS
 *   token-file: /etc/ckpt/token   #   this host's token (ckpt host add), mode 0600
 *   tls-cert: /etc/ckpt/host.p12  #   optional client certificate (ckpt host add --cert)
 * host-id: node1                  # default: the hostname
 * credentials: {}                 # placeholder: must be a mapping if set; ignored
 * state-dir: /var/lib/ckpt-agent  # required, absolute: spool and working directories
 * control: 127.0.0.1:7430         # local control endpoint; default 127.0.0.1:7430
 * spool: { max-bytes: 10GiB, max-checkpoints: 24 }
 * upload: { retries: 5, backoff: 2s, max-backoff: 5m }
 * defaults:
 *   schedule: { interval: 1h, jitter: 0s }    # also cron, skip
 *   timeouts: { checkpoint: 10m, filesystem: 30m, health: 60s, restart: 10m }
 * wpars:                          # required, at least one; see WparConfig
 *   - name: web01
 *     source: { preset: aix }
 * }</pre>
 *
 * @param server {@code server}, or {@code server.address}
 * @param serverAuth {@code server.tls-ca}, {@code server.token-file}, {@code server.tls-cert}
 * @param hostId {@code host-id}: 1 to 255 characters, no whitespace
 * @param stateDir {@code state-dir}
 * @param control {@code control}
 * @param spool {@code spool}
 * @param upload {@code upload}
 * @param wpars {@code wpars}, in file order, names unique
 */
public record AgentConfig(Endpoint server, String hostId, Path stateDir, Endpoint control, SpoolLimits spool,
        UploadPolicy upload, List<WparConfig> wpars, ServerAuth serverAuth) {
    /** Without TLS or a credential. */
    public AgentConfig(Endpoint server, String hostId, Path stateDir, Endpoint control, SpoolLimits spool,
            UploadPolicy upload, List<WparConfig> wpars) {
        this(server, hostId, stateDir, control, spool, upload, wpars, ServerAuth.NONE);
    }

    public static final Endpoint DEFAULT_SERVER = new Endpoint("127.0.0.1", 7420);
    public static final Endpoint DEFAULT_CONTROL = new Endpoint("127.0.0.1", 7430);
    /**
     * Where docs/AGENT.md installs the config: what {@code ckpt restore} reads when not given {@code --config}. The
     * agent itself is always given {@code --config}.
     */
    public static final Path DEFAULT_FILE = Path.of("/etc/ckpt/agent.yaml");

    public AgentConfig {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(hostId, "hostId");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(control, "control");
        Objects.requireNonNull(spool, "spool");
        Objects.requireNonNull(upload, "upload");
        wpars = List.copyOf(wpars);
        Objects.requireNonNull(serverAuth, "serverAuth");
    }

    /** Loads {@code file} with this process's environment for the defaults. */
    public static AgentConfig load(Path file) throws ConfigException {
        return load(file, HostEnvironment.current());
    }

    /** Loads {@code file}; errors name it as given. */
    public static AgentConfig load(Path file, HostEnvironment env) throws ConfigException {
        String name = file.toString();
        String text;
        try {
            long size = Files.size(file);
            if (size > YamlTreeReader.MAX_BYTES) {
                throw YamlTreeReader.tooLarge(name, size);
            }
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(name, 0, 0, "", "no such file", e);
        } catch (CharacterCodingException e) {
            throw new ConfigException(name, 0, 0, "", "not UTF-8 text", e);
        } catch (IOException e) {
            throw new ConfigException(name, 0, 0, "", "cannot read: " + e, e);
        }
        return parse(name, text, env);
    }

    /** Parses {@code yaml} as if read from a file named {@code fileName}. */
    public static AgentConfig parse(String fileName, String yaml, HostEnvironment env) throws ConfigException {
        return new ConfigParser(fileName, env).parse(YamlTreeReader.read(fileName, yaml));
    }

    /** The WPAR named {@code name}. */
    public Optional<WparConfig> wpar(String name) {
        return wpars.stream().filter(w -> w.name().equals(name)).findFirst();
    }
}

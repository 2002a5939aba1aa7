package io.ckpt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ckpt host add|list|revoke}: credentials on the server (docs/SECURITY.md); admin only. */
@Command(
        name = "host",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        description = {
            "Manages the credentials hosts and people connect with (docs/SECURITY.md): 'add' issues one, 'list' shows them, 'revoke' withdraws one and closes its open connections. Needs an admin credential; the server must have been set up with 'ckpt server init'."
        },
        subcommands = {HostCommands.Add.class, HostCommands.List.class, HostCommands.Revoke.class,
                CommandLine.HelpCommand.class},
        footer = {
            "",
            "Examples:",
            "  ckpt host add node1 --token-out /tmp/node1.token",
            "  ckpt host add grafana --role read-only",
            "  ckpt host list",
            "  ckpt host revoke node1",
            ""
        })
final class HostCommands implements Runnable {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String EXIT = "Exit status: 0 success, 1 error, 2 bad usage, 3 not found, 4 server unreachable,"
            + " 7 refused (not an admin), 9 not authenticated.";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "give a subcommand: add, list or revoke");
    }

    @Command(
            name = "add",
            mixinStandardHelpOptions = true,
            sortOptions = false,
            usageHelpAutoWidth = true,
            description = {
                "Issues a credential named HOST: a random 256-bit token, printed once (the server keeps only its SHA-256), and with --cert also a client certificate signed by the server's CA.",
                "",
                "HOST is the host id the credential acts as: the agent's host-id, the owner the server records for the WPARs it uploads. Roles: host (upload and restore the WPARs it owns or backs up per the server's placement), admin (everything), read-only (list, show, status; no checkpoint data). A name whose credential was revoked may be given a new one."
            },
            footer = {
                "",
                "JSON (--json): {\"host\", \"role\", \"tenant\", \"token\", \"cert_sha256\", \"cert_file\"}.",
                "",
                "Examples:",
                "  ckpt host add node1",
                "  ckpt host add node2 --token-out /root/node2.token --cert /root/node2.p12",
                "  ckpt host add ops --role admin",
                "",
                EXIT,
                ""
            })
    static final class Add extends ClientCommand {
        @Parameters(index = "0", paramLabel = "HOST", description = "The credential's name: the host id it acts as.")
        String host;

        @Option(names = "--role", paramLabel = "ROLE", defaultValue = "host",
                description = "host, admin or read-only (default: ${DEFAULT-VALUE}).")
        String role;

        @Option(names = "--tenant", paramLabel = "T",
                description = "The tenant the host belongs to: the scope deduplication shares chunks within (default: default).")
        String tenant;

        @Option(names = "--cert", paramLabel = "OUT.p12",
                description = "Also issue a client certificate, written to OUT.p12 (mode 0600, must not exist),"
                        + " protected by the token; the client gives it with --tls-cert or server.tls-cert.")
        Path cert;

        @Option(names = "--token-out", paramLabel = "FILE",
                description = "Also write the token to FILE (mode 0600, must not exist), ready for --token-file.")
        Path tokenOut;

        @Option(names = "--json", description = "Print JSON for scripts.")
        boolean json;

        @Override
        int run() throws Exception {
            for (Path p : new Path[] {cert, tokenOut}) {
                if (p != null && Files.exists(p)) {
                    throw new CliException(ExitCode.USAGE, p + " exists; give a new file");
                }
            }
            ObjectNode req = JSON.createObjectNode().put("op", "host_add").put("host", host).put("role", role)
                    .put("cert", cert != null);
            if (tenant != null) {
                req.put("tenant", tenant);
            }
            ObjectNode res = (ObjectNode) request(req);
            String token = res.path("token").asText();
            if (tokenOut != null) {
                writeSecret(tokenOut, (token + "\n").getBytes(StandardCharsets.US_ASCII));
            }
            if (cert != null) {
                writeSecret(cert, Base64.getDecoder().decode(res.path("cert_p12").asText()));
                res.remove("cert_p12");
                res.put("cert_file", cert.toString());
            }
            if (json) {
                out.println(JSON.writeValueAsString(res));
                return ExitCode.OK;
            }
            out.println("host " + TerminalText.of(res.path("host")) + ": role " + TerminalText.of(res.path("role")) + ", tenant "
                    + TerminalText.of(res.path("tenant")));
            out.println("token (shown only now" + (tokenOut != null ? "; also in " + tokenOut : "") + "):");
            out.println("  " + token);
            if (cert != null) {
                out.println("client certificate " + cert + " (sha256 " + res.path("cert_sha256").asText()
                        + "), protected by the token");
            }
            return ExitCode.OK;
        }

        private static void writeSecret(Path p, byte[] bytes) throws java.io.IOException {
            try {
                Files.write(Files.createFile(p, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------"))), bytes);
            } catch (FileAlreadyExistsException e) {
                throw new CliException(ExitCode.USAGE, p + " exists; give a new file");
            }
        }
    }

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            sortOptions = false,
            usageHelpAutoWidth = true,
            description = {"Lists the credentials: name, role, tenant, whether it has a token and a client certificate,"
                    + " when it was made and, if so, revoked. Secrets are never shown: the server does not have them."},
            footer = {
                "",
                "JSON (--json): {\"hosts\": [{\"host\", \"role\", \"tenant\", \"token\", \"cert_sha256\", \"created_at\", \"revoked_at\"}]}.",
                "",
                "Examples:",
                "  ckpt host list",
                "  ckpt host list --json",
                "",
                EXIT,
                ""
            })
    static final class List extends ClientCommand {
        @Option(names = "--json", description = "Print JSON for scripts.")
        boolean json;

        @Override
        int run() throws Exception {
            JsonNode res = request(JSON.createObjectNode().put("op", "host_list"));
            if (json) {
                out.println(JSON.writeValueAsString(res));
                return ExitCode.OK;
            }
            String fmt = "%-24s  %-9s  %-12s  %-5s  %-4s  %-20s  %s%n";
            out.printf(fmt, "HOST", "ROLE", "TENANT", "TOKEN", "CERT", "CREATED (UTC)", "REVOKED (UTC)");
            for (JsonNode h : res.path("hosts")) {
                out.printf(fmt, TerminalText.of(h.path("host")), TerminalText.of(h.path("role")), TerminalText.of(h.path("tenant")),
                        h.path("token").asBoolean() ? "yes" : "no", h.path("cert_sha256").isNull() ? "no" : "yes",
                        Units.utc(h.path("created_at").asText()),
                        h.path("revoked_at").isNull() ? "-" : Units.utc(h.path("revoked_at").asText()));
            }
            return ExitCode.OK;
        }
    }

    @Command(
            name = "revoke",
            mixinStandardHelpOptions = true,
            sortOptions = false,
            usageHelpAutoWidth = true,
            description = {"Revokes HOST's credential (token and client certificate) at once: the server closes every"
                    + " open connection it authenticated, discarding an upload in progress on it, and refuses it from"
                    + " then on. The record stays, marked revoked; 'ckpt host add HOST' may issue a new one."},
            footer = {
                "",
                "JSON (--json): {\"host\", \"revoked\": true, \"connections_closed\"}.",
                "",
                "Examples:",
                "  ckpt host revoke node1",
                "",
                EXIT,
                ""
            })
    static final class Revoke extends ClientCommand {
        @Parameters(index = "0", paramLabel = "HOST", description = "The credential to revoke.")
        String host;

        @Option(names = "--json", description = "Print JSON for scripts.")
        boolean json;

        @Override
        int run() throws Exception {
            JsonNode res = request(JSON.createObjectNode().put("op", "host_revoke").put("host", host));
            if (json) {
                out.println(JSON.writeValueAsString(res));
            } else {
                out.println("revoked " + host + "; " + res.path("connections_closed").asInt() + " open connection(s) closed");
            }
            return ExitCode.OK;
        }
    }
}

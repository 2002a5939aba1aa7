/**
 * The {@code ckpt} client commands (picocli), one class per subcommand: push, list, show,
 * restore. Each maps errors to one line and an exit status; stack traces only with --debug.
 */
package io.ckpt.cli;

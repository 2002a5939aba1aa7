/**
 * Starts and stops the server: parses its command line, opens the datastore and catalog,
 * recovers from an unclean stop, and runs the network listener until SIGTERM.
 */
package io.ckpt.server;

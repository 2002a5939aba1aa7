/**
 * How a long operation (verify, gc, prune, a move) says how far it has come, without knowing who
 * listens: the network layer turns it into progress notices (docs/PROTOCOL.md), tests ignore it.
 */
package io.ckpt.progress;

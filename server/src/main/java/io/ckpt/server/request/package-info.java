/**
 * The REQUEST ops of the protocol, each declared once ({@link io.ckpt.server.request.Requests}:
 * name, access rule, executor, audit, handler), and their dispatch
 * ({@link io.ckpt.server.request.RequestDispatcher}): parse, look up, authorise by
 * {@link io.ckpt.security.Access} against the object the request touches, run, audit, answer.
 * Free of Netty: the connection is a {@link io.ckpt.server.request.Caller}.
 */
package io.ckpt.server.request;

package io.ckpt.errors;

import io.ckpt.catalog.CatalogRowException;
import io.ckpt.catalog.NotFoundException;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.RequestRefusedException;
import io.ckpt.store.StoreException;
import io.netty.handler.codec.DecoderException;
import java.io.IOException;

/**
 * Which {@link ErrorCode} a failure is answered with, and what the answer says. The server's error
 * replies ({@code io.ckpt.server.net.ErrorReplies}) and the offline module's in-process datastore reads
 * ({@code io.ckpt.offline.DatastoreLink}) both ask here, so a client cannot tell which of the two answered.
 */
public final class ErrorCodes {
    private ErrorCodes() {}

    /** The code for {@code t}: INTERNAL for anything not named here (a bug, or an I/O failure the client cannot fix). */
    public static ErrorCode codeOf(Throwable t) {
        if (t instanceof DecoderException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof RequestRefusedException e) {
            return e.code();
        }
        if (t instanceof NotFoundException) {
            return ErrorCode.NOT_FOUND;
        }
        if (t instanceof StoreException.Closed) {
            return ErrorCode.CONFLICT;
        }
        if (t instanceof IOException io && StoreException.classify(io, "") instanceof StoreException.NoSpace) {
            return ErrorCode.NO_SPACE;
        }
        if (t instanceof StoreException.Corrupt || t instanceof CatalogRowException) {
            return ErrorCode.CORRUPT;
        }
        if (t instanceof DecoderException || t instanceof IllegalArgumentException) {
            return ErrorCode.BAD_REQUEST;
        }
        return ErrorCode.INTERNAL;
    }

    /**
     * What the client is told about {@code t}: its message, or its type when it has none; for an
     * INTERNAL failure, marked as the server's, with the details left to the server log.
     */
    public static String messageOf(Throwable t) {
        String m = t.getMessage();
        if (codeOf(t) == ErrorCode.INTERNAL) {
            return "server error: " + (m == null ? t.getClass().getSimpleName() : m) + " (details in the server log)";
        }
        return m == null ? t.getClass().getSimpleName() : m;
    }
}

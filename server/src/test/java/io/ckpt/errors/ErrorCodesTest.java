package io.ckpt.errors;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ckpt.catalog.CatalogRowException;
import io.ckpt.catalog.NotFoundException;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.RequestRefusedException;
import io.ckpt.store.StoreException;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every failure type the server and the offline datastore paths answer with, and its code. */
class ErrorCodesTest {
    @Test
    void everyExceptionTypeMapsToItsCode() {
        Map<Throwable, ErrorCode> cases = new LinkedHashMap<>();
        for (ErrorCode c : ErrorCode.values()) {
            cases.put(new RequestRefusedException(c, "carried " + c), c); // the code an ingest or access failure carries
        }
        cases.put(new NotFoundException("no checkpoint with id 7"), ErrorCode.NOT_FOUND);
        cases.put(new StoreException.Closed("shutting down"), ErrorCode.CONFLICT);
        cases.put(new StoreException.NoSpace("pack 12: disk full", null), ErrorCode.NO_SPACE);
        cases.put(new IOException("write: No space left on device"), ErrorCode.NO_SPACE);
        cases.put(new IOException("[SQLITE_FULL] database or disk is full"), ErrorCode.NO_SPACE);
        cases.put(new StoreException.Corrupt("pack 3 offset 9: digest mismatch"), ErrorCode.CORRUPT);
        cases.put(new CatalogRowException("checkpoint 4", "label too long"), ErrorCode.CORRUPT);
        cases.put(new CorruptedFrameException("frame type 99"), ErrorCode.BAD_REQUEST);
        cases.put(new IllegalArgumentException("bad WPAR name"), ErrorCode.BAD_REQUEST);
        cases.put(new DecoderException(new RequestRefusedException(ErrorCode.REFUSED, "inner")), ErrorCode.REFUSED);
        cases.put(new DecoderException(new NotFoundException("inner")), ErrorCode.NOT_FOUND);
        cases.put(new StoreException.Incompatible("newer datastore"), ErrorCode.INTERNAL);
        cases.put(new StoreException.Locked("held by pid 4"), ErrorCode.INTERNAL);
        cases.put(new IOException("connection reset"), ErrorCode.INTERNAL);
        cases.put(new IllegalStateException("bug"), ErrorCode.INTERNAL);
        cases.put(new NullPointerException(), ErrorCode.INTERNAL);
        for (var e : cases.entrySet()) {
            assertEquals(e.getValue(), ErrorCodes.codeOf(e.getKey()), e.getKey().toString());
        }
    }

    @Test
    void anInternalFailureIsSaidToBeTheServersAndOthersSayTheirOwnMessage() {
        assertEquals("no checkpoint with id 7", ErrorCodes.messageOf(new NotFoundException("no checkpoint with id 7")));
        assertEquals("server error: bug (details in the server log)", ErrorCodes.messageOf(new IllegalStateException("bug")));
        assertEquals("server error: NullPointerException (details in the server log)",
                ErrorCodes.messageOf(new NullPointerException()));
        assertEquals("IllegalArgumentException", ErrorCodes.messageOf(new IllegalArgumentException()));
    }
}

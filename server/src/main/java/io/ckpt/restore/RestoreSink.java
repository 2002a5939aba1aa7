package io.ckpt.restore;

import io.ckpt.protocol.PartInfo;
import io.netty.buffer.ByteBuf;
import java.io.IOException;

/** Where a restore goes (a connection, or a verifier that only counts). */
public interface RestoreSink {
    void beginPart(PartInfo part) throws IOException;

    /** A buffer to fill with at least {@code capacity} bytes, handed back through {@link #data}. */
    ByteBuf allocate(int capacity);

    /** Takes ownership of {@code bytes}; may block until the receiver catches up. */
    void data(ByteBuf bytes) throws IOException;

    void endPart(long length, byte[] sha256) throws IOException;
}

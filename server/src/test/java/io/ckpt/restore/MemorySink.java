package io.ckpt.restore;

import io.ckpt.protocol.PartInfo;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link RestoreSink} that keeps what it receives in memory, part by part, and checks the
 * sink contract on the way: parts do not nest, buffers come from {@link #allocate}, every buffer
 * handed over is released here.
 */
public final class MemorySink implements RestoreSink {
    /** One restored part: what {@link RestoreSink#endPart} announced beside the bytes that came. */
    public record Part(PartInfo info, byte[] bytes, long length, byte[] sha256) {}

    private final List<Part> parts = new ArrayList<>();
    private PartInfo current;
    private ByteArrayOutputStream bytes;
    private int buffers;

    @Override
    public void beginPart(PartInfo part) {
        if (current != null) {
            throw new AssertionError("part " + part.name() + " begun inside part " + current.name());
        }
        current = part;
        bytes = new ByteArrayOutputStream();
    }

    @Override
    public ByteBuf allocate(int capacity) {
        return Unpooled.buffer(capacity);
    }

    @Override
    public void data(ByteBuf data) throws IOException {
        try {
            if (current == null) {
                throw new AssertionError("data outside a part");
            }
            data.readBytes(bytes, data.readableBytes());
            buffers++;
        } finally {
            data.release();
        }
    }

    @Override
    public void endPart(long length, byte[] sha256) {
        if (current == null) {
            throw new AssertionError("part end outside a part");
        }
        parts.add(new Part(current, bytes.toByteArray(), length, sha256));
        current = null;
        bytes = null;
    }

    public List<Part> parts() {
        return parts;
    }

    /** How many data buffers were handed over. */
    public int buffers() {
        return buffers;
    }
}

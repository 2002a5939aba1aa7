package io.ckpt.bench.stage;

import io.ckpt.bench.BenchImage;
import io.ckpt.bench.BenchmarkBase;
import io.ckpt.bench.ByteCounter;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.codec.FrameDecoder;
import io.ckpt.protocol.codec.FrameEncoder;
import io.ckpt.protocol.codec.FrameFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The frame codec on an {@link EmbeddedChannel}: an image sent as DATA frames of
 * {@link FrameFormat#MAX_DATA_PAYLOAD} bytes (1 MiB, as the client sends them).
 *
 * <p>{@code encode} writes the frames through {@link FrameEncoder}: a five-byte header per frame,
 * the payload passed on without a copy. {@code decode} feeds the encoded stream to
 * {@link FrameDecoder} in reads of {@code readBytes} (a socket read's size): the decoder gathers
 * them into whole frames, which copies every byte once, and hands each payload on as a slice.
 * MBps: payload bytes.
 */
@State(Scope.Thread)
public class FrameCodecBenchmark extends BenchmarkBase {
    @Param("16")
    int imageMiB;

    @Param("65536")
    int readBytes;

    private byte[] image;
    private byte[] encoded;
    private EmbeddedChannel encoder;
    private EmbeddedChannel decoder;

    @Setup
    public void setUp() {
        image = BenchImage.first(imageMiB).bytes();
        encoder = new EmbeddedChannel(FrameEncoder.INSTANCE);
        decoder = new EmbeddedChannel(new FrameDecoder(FrameFormat.DEFAULT_MAX_FRAME));
        ByteBuf stream = Unpooled.buffer(image.length + image.length / FrameFormat.MAX_DATA_PAYLOAD * 8 + 8);
        for (int off = 0; off < image.length; off += FrameFormat.MAX_DATA_PAYLOAD) {
            int n = Math.min(FrameFormat.MAX_DATA_PAYLOAD, image.length - off);
            encoder.writeOutbound(new Frame.Data(Unpooled.wrappedBuffer(image, off, n)));
            for (Object o; (o = encoder.readOutbound()) != null; ) {
                stream.writeBytes((ByteBuf) o);
                ReferenceCountUtil.release(o);
            }
        }
        encoded = new byte[stream.readableBytes()];
        stream.readBytes(encoded);
        stream.release();
    }

    @TearDown
    public void tearDown() {
        encoder.finishAndReleaseAll();
        decoder.finishAndReleaseAll();
    }

    /** Returns the bytes written out, headers included. */
    @Benchmark
    public long encode(ByteCounter counter) {
        long out = 0;
        for (int off = 0; off < image.length; off += FrameFormat.MAX_DATA_PAYLOAD) {
            int n = Math.min(FrameFormat.MAX_DATA_PAYLOAD, image.length - off);
            encoder.writeOutbound(new Frame.Data(Unpooled.wrappedBuffer(image, off, n)));
            for (Object o; (o = encoder.readOutbound()) != null; ) {
                out += ((ByteBuf) o).readableBytes();
                ReferenceCountUtil.release(o);
            }
        }
        counter.MBps += image.length / 1e6;
        return out;
    }

    /** Returns the payload bytes decoded. */
    @Benchmark
    public long decode(ByteCounter counter) {
        long payload = 0;
        for (int off = 0; off < encoded.length; off += readBytes) {
            decoder.writeInbound(Unpooled.wrappedBuffer(encoded, off, Math.min(readBytes, encoded.length - off)));
            for (Object o; (o = decoder.readInbound()) != null; ) {
                Frame.Data d = (Frame.Data) o;
                payload += d.bytes().readableBytes();
                d.release();
            }
        }
        if (payload != image.length) {
            throw new AssertionError("decoded " + payload + " payload bytes != " + image.length + " sent");
        }
        counter.MBps += payload / 1e6;
        return payload;
    }
}

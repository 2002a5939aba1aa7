package io.ckpt.protocol.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ckpt.fuzz.Allocation;
import io.ckpt.fuzz.Corpus;
import io.ckpt.fuzz.Fuzz;
import io.ckpt.fuzz.Mutations;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * FrameDecoder on hostile bytes (issue 7): whatever arrives, in whatever pieces, the decoder either
 * yields frames that re-encode to exactly the bytes they came from, or refuses with its own
 * exception ({@link CorruptedFrameException}, {@link TooLongFrameException}) and a message; never
 * another exception, never an allocation beyond the frame limit, never a hang. The saved corpus
 * under {@code /fuzz/frame/} is replayed every run; {@link Fuzz} sets the budget and docs/TESTING.md
 * says how to fuzz longer.
 */
final class FrameDecoderFuzzTest {
    private static final int MAX_FRAME = 4096;
    /** Netty's cumulation buffer, decoded strings and an exception's stack trace, with room to spare. */
    private static final long ALLOCATION_ALLOWANCE = 4L * MAX_FRAME + 256 * 1024;
    private static final HexFormat HEX = HexFormat.of();
    /** Whether allocation is measured: not until every decoder path has loaded its classes. */
    private static volatile boolean measure;
    private static volatile boolean warmedUp;

    /** Runs the decoder's paths once unmeasured, so that class loading is not counted against it. */
    private static synchronized void warmUp() {
        if (warmedUp) {
            return;
        }
        warmedUp = true;
        Random r = new Random(1);
        List<byte[]> valid = validFrames();
        for (int i = 0; i < 500; i++) {
            check(Mutations.mutate(valid.get(r.nextInt(valid.size())), r, 1 + r.nextInt(3)), r.nextInt(8));
        }
        measure = true;
    }

    /** Up to 300 arbitrary bytes, whole or in pieces of 1 to 32 bytes. */
    @Test
    void arbitraryBytesDecodeOrFailCleanly() {
        Fuzz.forAll("frame-arbitrary", r -> Fuzz.bytes(r, 300), (input, r) -> check(input, Fuzz.between(r, 0, 32)));
    }

    /** One to three valid frames, damaged one to four times, whole or in pieces of 1 to 32 bytes. */
    @Test
    void mutatedValidFramesDecodeOrFailCleanly() {
        Fuzz.forAll("frame-mutated", FrameDecoderFuzzTest::mutatedFrames,
                (input, r) -> check(input, Fuzz.between(r, 0, 32)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void savedInputDecodesOrFailsCleanly(String name, byte[] input) {
        check(input, 0);
        check(input, 1);
        check(input, 7);
    }

    static Stream<Arguments> corpus() {
        return Corpus.load("frame").stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    static byte[] mutatedFrames(Random r) {
        List<byte[]> valid = validFrames();
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) {
            wire.writeBytes(valid.get(r.nextInt(valid.size())));
        }
        return Mutations.mutate(wire.toByteArray(), r, 1 + r.nextInt(4));
    }

    /** Feeds {@code input} in pieces of {@code piece} bytes (0: whole) and checks the outcome. */
    static void check(byte[] input, int piece) {
        warmUp();
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(MAX_FRAME));
        List<Frame> frames = new ArrayList<>();
        try {
            Throwable refused = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                long before = Allocation.current();
                Throwable t = feed(channel, input, piece, frames);
                long allocated = Allocation.current() - before;
                if (measure && before >= 0) {
                    assertTrue(allocated <= ALLOCATION_ALLOWANCE + 32L * input.length,
                            () -> "decoding " + input.length + " bytes allocated " + allocated + " bytes");
                }
                return t;
            }, () -> "decoder hangs on " + HEX.formatHex(input));
            assertClean(refused, input);
            assertCanonical(input, frames);
        } finally {
            frames.forEach(f -> {
                if (f instanceof Frame.Data d) {
                    d.release();
                }
            });
        }
        // Closing decodes what is left (after a refusal, the bytes behind the refused frame).
        try {
            channel.finishAndReleaseAll();
        } catch (Throwable t) {
            assertClean(t, input);
        }
    }

    private static void assertClean(Throwable refused, byte[] input) {
        if (refused == null) {
            return;
        }
        if (refused.getClass() != CorruptedFrameException.class && refused.getClass() != TooLongFrameException.class) {
            fail("decoder failed with " + refused + " on " + HEX.formatHex(input), refused);
        }
        assertTrue(refused.getMessage() != null && !refused.getMessage().isBlank(), "refusal without a message");
    }

    private static Throwable feed(EmbeddedChannel channel, byte[] input, int piece, List<Frame> frames) {
        int step = piece == 0 ? Math.max(1, input.length) : piece;
        try {
            for (int off = 0; off < input.length; off += step) {
                channel.writeInbound(Unpooled.wrappedBuffer(input, off, Math.min(step, input.length - off)));
                for (Frame f; (f = channel.readInbound()) != null; ) {
                    frames.add(f);
                }
            }
            return null;
        } catch (Throwable t) {
            for (Frame f; (f = channel.readInbound()) != null; ) {
                frames.add(f);
            }
            return t;
        }
    }

    /**
     * Each decoded frame, encoded again, gives back the bytes it was decoded from: the decoder
     * accepts only what the encoder writes. ERROR frames map unknown codes to INTERNAL and
     * UPLOAD_BEGIN an empty health to "unknown", so those compare as decoded values instead.
     */
    private static void assertCanonical(byte[] input, List<Frame> frames) {
        ByteBuffer in = ByteBuffer.wrap(input);
        for (Frame f : frames) {
            int length = in.getInt();
            byte[] original = new byte[4 + length];
            in.position(in.position() - 4).get(original);
            byte[] again = encode(f);
            if (f instanceof Frame.Error || f instanceof Frame.UploadBegin) {
                ByteBuf b = Unpooled.wrappedBuffer(again, 5, again.length - 5);
                assertEquals(f, FrameDecoder.decodePayload(again[4], b), "re-decoded " + HEX.formatHex(original));
            } else {
                assertArrayEquals(original, again, () -> "decoded " + f + " from " + HEX.formatHex(original));
            }
        }
    }

    private static byte[] encode(Frame f) {
        if (f instanceof Frame.Data d) {
            ByteBuf b = Unpooled.buffer().writeInt(1 + d.bytes().readableBytes()).writeByte(FrameFormat.DATA)
                    .writeBytes(d.bytes(), d.bytes().readerIndex(), d.bytes().readableBytes());
            return ByteBufUtil.getBytes(b);
        }
        ByteBuf b = FrameEncoder.encode(UnpooledByteBufAllocator.DEFAULT, f);
        try {
            return ByteBufUtil.getBytes(b);
        } finally {
            b.release();
        }
    }

    /** One encoding of every frame type, the raw material for mutations. */
    static List<byte[]> validFrames() {
        byte[] sha = new byte[32];
        new Random(7).nextBytes(sha);
        List<Frame> frames = List.of(
                new Frame.Hello(1, 3, "ckpt-agent/0.1.0", "aixhost-07", new byte[] {0, (byte) 0xff, 7}),
                new Frame.Welcome(1, "ckpt-server@nfs01", FrameFormat.DEFAULT_MAX_FRAME),
                new Frame.Error(ErrorCode.NOT_FOUND, "checkpoint 17 of WPAR payroll01 not found"),
                new Frame.UploadBegin("payroll01", 1_700_000_000_123L, "scheduled", Frame.UploadBegin.MODE_STREAM,
                        List.of("pre-upgrade", "Übergabe ✓"), "key-1", "good", "probe ok"),
                new Frame.UploadStarted(42),
                new Frame.PartBegin(new PartInfo("statefile/memory.img", PartType.FILE, 0100644, 5L, "")),
                new Frame.PartBegin(new PartInfo("statefile/current", PartType.SYMLINK, 0120777, 5L, "memory.img")),
                new Frame.PartEnd(123_456_789L, sha),
                new Frame.UploadCommit(),
                new Frame.UploadCommitted("{\"id\":17,\"logicalBytes\":268435456}"),
                new Frame.UploadAbort("agent interrupted"),
                new Frame.Request("{\"op\":\"list\",\"wpar\":\"payroll01\"}"),
                new Frame.Response("{\"checkpoints\":[]}"),
                new Frame.RestoreRequest(17),
                new Frame.RestoreEnd(17),
                new Frame.Data(Unpooled.wrappedBuffer(new byte[] {1, 2, 3, 4, 5, 6, 7, 8})),
                new Frame.ChunkQuery(java.util.Arrays.copyOf(sha, 64)),
                new Frame.ChunkMissing(10, java.util.BitSet.valueOf(new byte[] {5, 2})),
                new Frame.ChunkData(sha, 6, Frame.ChunkData.CODEC_NONE, new byte[] {1, 2, 3, 4, 5, 6}),
                new Frame.ChunkData(sha, 9000, Frame.ChunkData.CODEC_LZ4, new byte[] {(byte) 0x1f, 0, 1, 0, 0x50}),
                new Frame.ChunkRefs(java.util.Arrays.copyOf(sha, 64), new int[] {8192, 1}));
        return frames.stream().map(FrameDecoderFuzzTest::encode).toList();
    }
}

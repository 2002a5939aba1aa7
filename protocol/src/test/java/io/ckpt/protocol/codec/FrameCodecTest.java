package io.ckpt.protocol.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntUnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * FrameDecoder and FrameEncoder on an {@link EmbeddedChannel}: frames go out through the encoder,
 * their bytes come back in through the decoder, whole, split or batched, and malformed input is
 * refused with the codec's exception types. Every buffer a test touches is released.
 */
final class FrameCodecTest {
    private static final int MAX_FRAME = 64 * 1024;
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void everyFrameTypeSurvivesARoundTrip() {
        List<Frame> frames = sampleFrames(new Random(1));
        Set<String> covered = frames.stream().map(f -> f.getClass().getSimpleName()).collect(Collectors.toCollection(TreeSet::new));
        Set<String> all = Arrays.stream(Frame.class.getPermittedSubclasses()).map(Class::getSimpleName).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(all, covered, "sampleFrames must hold one frame of every type");

        for (Frame frame : frames) {
            assertEquals(List.of(describe(frame)), roundTrip(List.of(frame), whole()));
        }
    }

    @Test
    void severalFramesInOneBufferAllDecode() {
        List<Frame> frames = sampleFrames(new Random(2));
        List<String> expected = describeAll(frames);
        assertEquals(expected, roundTrip(frames, whole()));
    }

    @Test
    void framesSplitIntoSingleBytesDecodeWhole() {
        List<Frame> frames = sampleFrames(new Random(3));
        List<String> expected = describeAll(frames);
        assertEquals(expected, roundTrip(frames, remaining -> 1));
    }

    @Test
    void framesSplitAtRandomPointsDecodeWhole() {
        for (int seed = 0; seed < 20; seed++) {
            Random random = new Random(seed);
            List<Frame> frames = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                frames.addAll(sampleFrames(random));
                frames.add(data(random, random.nextInt(20_000)));
            }
            List<String> expected = describeAll(frames);
            assertEquals(expected, roundTrip(frames, remaining -> 1 + random.nextInt(Math.min(remaining, 3000))), "seed " + seed);
        }
    }

    @Test
    void oversizedFrameIsRefusedBeforeBuffering() {
        EmbeddedChannel channel = channel();
        ByteBuf header = Unpooled.buffer(5).writeInt(MAX_FRAME + 1).writeByte(FrameFormat.DATA);

        // Only the length field has arrived: the decoder must refuse now, not wait for 64 KiB.
        TooLongFrameException e = assertThrows(TooLongFrameException.class, () -> channel.writeInbound(header));
        assertTrue(e.getMessage().contains(String.valueOf(MAX_FRAME + 1)), e.getMessage());
        assertEquals(0, header.refCnt(), "the refused bytes must not stay buffered");
        assertNull(channel.readInbound());
        assertFalse(channel.finish());
    }

    @Test
    void lengthFieldAbove2GiBIsRefusedAsOversized() {
        EmbeddedChannel channel = channel();
        ByteBuf header = Unpooled.buffer(4).writeInt(0xFFFF_FFF0);
        TooLongFrameException e = assertThrows(TooLongFrameException.class, () -> channel.writeInbound(header));
        assertTrue(e.getMessage().contains("4294967280"), e.getMessage());
        assertFalse(channel.finish());
    }

    @Test
    void frameOfExactlyTheMaximumSizeIsAccepted() {
        EmbeddedChannel channel = channel();
        byte[] payload = new byte[MAX_FRAME - 1]; // + TYPE = MAX_FRAME
        new Random(4).nextBytes(payload);
        channel.writeInbound(rawFrame(FrameFormat.DATA, payload));
        Frame.Data data = channel.readInbound();
        try {
            assertEquals(Unpooled.wrappedBuffer(payload), data.bytes());
        } finally {
            data.release();
        }
        assertFalse(channel.finish());
    }

    @Test
    void zeroLengthFrameIsCorruptAndDiscarded() {
        assertCorrupt(Unpooled.buffer(4).writeInt(0), "frame length 0");
    }

    @Test
    void unknownFrameTypeIsCorrupt() {
        assertCorrupt(rawFrame(0x7F, new byte[8]), "unknown frame type 0x7f");
    }

    @Test
    void reservedDeltaFrameTypeIsRefused() {
        assertCorrupt(rawFrame(FrameFormat.RESERVED_DELTA_FIRST, new byte[40]), "0x24 (delta upload) is reserved");
        assertCorrupt(rawFrame(FrameFormat.RESERVED_DELTA_LAST, new byte[0]), "0x2f (delta upload) is reserved");
    }

    @Test
    void chunkQueryOfZeroOrTooManyDigestsIsCorrupt() {
        assertCorrupt(rawFrame(FrameFormat.CHUNK_QUERY, new byte[] {0, 0}), "chunk query count 0 outside 1..4096");
        assertCorrupt(rawFrame(FrameFormat.CHUNK_QUERY, new byte[] {0x10, 0x01}), "chunk query count 4097 outside 1..4096");
        assertCorrupt(rawFrame(FrameFormat.CHUNK_QUERY, concat(new byte[] {0, 2}, new byte[40])), "frame too short for chunk query digests");
    }

    @Test
    void chunkMissingWithBitsPastItsCountIsCorrupt() {
        assertCorrupt(rawFrame(FrameFormat.CHUNK_MISSING, new byte[] {0, 3, 0x08}), "bits set past its count 3");
        assertCorrupt(rawFrame(FrameFormat.CHUNK_MISSING, new byte[] {0, 9, 0}), "frame too short for chunk missing bitmap");
    }

    @Test
    void chunkMissingBitmapRoundTripsBitForBit() {
        java.util.BitSet missing = new java.util.BitSet();
        missing.set(0);
        missing.set(8);
        missing.set(4095);
        EmbeddedChannel channel = channel();
        channel.writeOutbound(new Frame.ChunkMissing(4096, missing));
        byte[] wire = drainOutbound(channel);
        assertEquals(4 + 1 + 2 + 512, wire.length);
        assertEquals(0x01, wire[7]);
        assertEquals(0x01, wire[8]);
        assertEquals((byte) 0x80, wire[wire.length - 1]);
        channel.writeInbound(Unpooled.wrappedBuffer(wire));
        Frame.ChunkMissing back = channel.readInbound();
        assertEquals(4096, back.count());
        assertEquals(missing, back.missing());
        assertFalse(channel.finish());
    }

    @Test
    void chunkDataWhosePayloadDoesNotFitItsCodecIsCorrupt() {
        byte[] head = new byte[32 + 5];
        head[35] = 4; // raw length 4
        head[36] = 0; // codec none
        assertCorrupt(rawFrame(FrameFormat.CHUNK_DATA, concat(head, new byte[3])), "payload of 3 bytes with codec 0 for raw length 4");
        head[36] = 1; // LZ4 must be shorter than the raw chunk
        assertCorrupt(rawFrame(FrameFormat.CHUNK_DATA, concat(head, new byte[4])), "payload of 4 bytes with codec 1");
        head[36] = 2;
        assertCorrupt(rawFrame(FrameFormat.CHUNK_DATA, concat(head, new byte[2])), "with codec 2");
        byte[] zero = new byte[37];
        assertCorrupt(rawFrame(FrameFormat.CHUNK_DATA, zero), "chunk raw length 0 outside 1..1048576");
        byte[] huge = new byte[37];
        huge[33] = 0x10;
        huge[35] = 1; // 1 MiB + 1
        assertCorrupt(rawFrame(FrameFormat.CHUNK_DATA, huge), "chunk raw length 1048577 outside");
    }

    @Test
    void chunkRefWithZeroLengthIsCorrupt() {
        byte[] refs = new byte[2 + 2 * 36];
        refs[1] = 2;
        refs[2 + 35] = 7;
        assertCorrupt(rawFrame(FrameFormat.CHUNK_REFS, refs), "chunk ref 1: length 0 outside");
        assertCorrupt(rawFrame(FrameFormat.CHUNK_REFS, Arrays.copyOf(refs, 30)), "frame too short for chunk refs");
    }

    @Test
    void helloWithBadMagicIsCorrupt() {
        byte[] http = "GET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
        assertCorrupt(rawFrame(FrameFormat.HELLO, http), "hello magic: actual 0x47455420 != expected 0x434b5054");
    }

    @Test
    void trailingBytesAfterTheLastFieldAreCorrupt() {
        byte[] payload = new byte[8 + 3]; // checkpoint id + 3 extra bytes
        assertCorrupt(rawFrame(FrameFormat.UPLOAD_STARTED, payload), "has 3 trailing bytes");
        assertCorrupt(rawFrame(FrameFormat.UPLOAD_COMMIT, new byte[1]), "has 1 trailing bytes");
    }

    @Test
    void fieldRunningPastTheFrameEndIsCorrupt() {
        assertCorrupt(rawFrame(FrameFormat.UPLOAD_STARTED, new byte[4]), "too short for checkpoint id");
        byte[] textClaims100Has10 = {0, 0, 0, 100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertCorrupt(rawFrame(FrameFormat.REQUEST, textClaims100Has10), "too short for text");
        assertCorrupt(rawFrame(FrameFormat.REQUEST, new byte[] {(byte) 0x80, 0, 0, 0}), "negative text length");
    }

    @Test
    void partNameThatEscapesTheRestoreDirectoryIsCorrupt() {
        ByteBuf p = Unpooled.buffer();
        FrameFormat.writeString(p, "../../etc/passwd");
        p.writeByte(PartType.FILE.code()).writeInt(0644).writeLong(0);
        FrameFormat.writeString(p, "");
        assertCorrupt(rawFrame(FrameFormat.PART_BEGIN, ByteBufUtil.getBytes(p)), "bad part");
        p.release();
    }

    @Test
    void malformedUtf8IsCorruptNotReplaced() {
        // Found by FrameDecoderFuzzTest: a lenient decoder turned 0xa2 into U+FFFD (three bytes when
        // encoded again), so a string that fit its u16 length could grow past it on the way on.
        byte[] json = "{\"op\":\"list\",\"wpar\":\"\u00a2\"}".getBytes(StandardCharsets.ISO_8859_1);
        byte[] text = ByteBuffer.allocate(4 + json.length).putInt(json.length).put(json).array();
        assertCorrupt(rawFrame(FrameFormat.REQUEST, text), "text of 24 bytes is not valid UTF-8");
        ByteBuf p = Unpooled.buffer();
        p.writeShort(3).writeBytes(new byte[] {'a', (byte) 0xc0, (byte) 0xaf}); // overlong '/'
        p.writeByte(PartType.FILE.code()).writeInt(0644).writeLong(0).writeShort(0);
        assertCorrupt(rawFrame(FrameFormat.PART_BEGIN, ByteBufUtil.getBytes(p)), "string of 3 bytes is not valid UTF-8");
        p.release();
    }

    @Test
    void unknownPartTypeIsCorrupt() {
        ByteBuf p = Unpooled.buffer();
        FrameFormat.writeString(p, "memory.img");
        p.writeByte(9).writeInt(0644).writeLong(0);
        FrameFormat.writeString(p, "");
        assertCorrupt(rawFrame(FrameFormat.PART_BEGIN, ByteBufUtil.getBytes(p)), "unknown part type 9");
        p.release();
    }

    @Test
    void dataPayloadIsDeliveredAsASliceOfTheReceivedBytes() {
        byte[] wire = new byte[FrameFormat.HEADER_LENGTH + 1000];
        new Random(5).nextBytes(wire);
        ByteBuffer.wrap(wire).putInt(1 + 1000).put(FrameFormat.DATA);
        ByteBuf in = Unpooled.wrappedBuffer(wire);

        EmbeddedChannel channel = channel();
        channel.writeInbound(in);
        Frame.Data data = channel.readInbound();
        try {
            ByteBuf bytes = data.bytes();
            assertTrue(bytes.hasArray());
            assertSame(wire, bytes.array(), "payload must share the received array, not a copy");
            assertEquals(FrameFormat.HEADER_LENGTH, bytes.arrayOffset() + bytes.readerIndex());
            assertEquals(1000, bytes.readableBytes());
            assertEquals(1, in.refCnt(), "the slice holds the received buffer until released");
        } finally {
            data.release();
        }
        assertEquals(0, in.refCnt());
        assertFalse(channel.finish());
    }

    @Test
    void encodedDataFrameSendsThePayloadBufferItself() {
        EmbeddedChannel channel = channel();
        ByteBuf payload = Unpooled.wrappedBuffer(new byte[] {1, 2, 3});
        channel.writeOutbound(new Frame.Data(payload));

        ByteBuf header = channel.readOutbound();
        ByteBuf body = channel.readOutbound();
        try {
            assertEquals("0000000413", ByteBufUtil.hexDump(header));
            assertSame(payload, body, "the payload goes out as its own buffer, uncopied");
            assertEquals(1, payload.refCnt(), "the encoder passes on the sender's reference, no more");
        } finally {
            header.release();
            body.release();
        }
        assertFalse(channel.finish());
    }

    // --- helpers -------------------------------------------------------------------------------

    private static EmbeddedChannel channel() {
        return new EmbeddedChannel(new FrameDecoder(MAX_FRAME), FrameEncoder.INSTANCE);
    }

    /** One frame of every type, with edge values: empty and non-ASCII strings, extreme numbers. */
    private static List<Frame> sampleFrames(Random random) {
        byte[] sha = new byte[32];
        random.nextBytes(sha);
        return List.of(
                new Frame.Hello(1, 65535, "ckpt-agent/0.1.0", "aixhost-07", new byte[] {0, (byte) 0xff, 7}),
                new Frame.Hello(1, 1, "", "", new byte[0]),
                new Frame.Welcome(1, "ckpt-server@nfs01", FrameFormat.DEFAULT_MAX_FRAME),
                new Frame.Error(ErrorCode.NOT_FOUND, "checkpoint 17 of WPAR payroll01 not found"),
                new Frame.Error(ErrorCode.CONFLICT, ""),
                new Frame.UploadBegin("payroll01", 1_700_000_000_123L, "scheduled", Frame.UploadBegin.MODE_STREAM,
                        List.of("pre-upgrade", "Übergabe ✓")),
                new Frame.UploadBegin("w", Long.MIN_VALUE, "", Frame.UploadBegin.MODE_DELTA, List.of()),
                new Frame.UploadStarted(Long.MAX_VALUE),
                new Frame.PartBegin(new PartInfo("statefile/memory.img", PartType.FILE, 0100644, -1L, "")),
                new Frame.PartBegin(new PartInfo("statefile", PartType.DIRECTORY, 040755, 0L, "")),
                new Frame.PartBegin(new PartInfo("statefile/current", PartType.SYMLINK, 0120777, 5L, "memory.img")),
                new Frame.PartBegin(new PartInfo("stdout", PartType.STREAM, 0, 0L, "")),
                data(random, 0),
                data(random, 1 + random.nextInt(4096)),
                new Frame.PartEnd(123_456_789_012L, sha),
                new Frame.UploadCommit(),
                new Frame.UploadCommitted("{\"id\":17,\"logicalBytes\":268435456,\"storedBytes\":1048576}"),
                new Frame.UploadAbort("agent interrupted: SIGTERM"),
                new Frame.Request("{\"op\":\"list\",\"wpar\":\"payroll01\"}"),
                new Frame.Response("{\"checkpoints\":[]}"),
                new Frame.RestoreRequest(0L),
                new Frame.RestoreEnd(-1L),
                new Frame.ChunkQuery(bytes(random, 3 * 32)),
                new Frame.ChunkMissing(11, java.util.BitSet.valueOf(new long[] {0b100_0000_0101L})),
                new Frame.ChunkData(bytes(random, 32), 5, Frame.ChunkData.CODEC_NONE, bytes(random, 5)),
                new Frame.ChunkData(bytes(random, 32), 70_000, Frame.ChunkData.CODEC_LZ4, bytes(random, 300)),
                new Frame.ChunkRefs(bytes(random, 2 * 32), new int[] {1, Frame.ChunkData.MAX_RAW_LENGTH}));
    }

    private static byte[] bytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static Frame.Data data(Random random, int size) {
        byte[] b = new byte[size];
        random.nextBytes(b);
        return new Frame.Data(Unpooled.wrappedBuffer(b));
    }

    /**
     * Encodes {@code frames}, then feeds their bytes back in pieces whose sizes {@code pieceSize}
     * picks from the bytes remaining, and returns what was decoded, described.
     */
    private static List<String> roundTrip(List<Frame> frames, IntUnaryOperator pieceSize) {
        EmbeddedChannel channel = channel();
        channel.writeOutbound(frames.toArray());
        byte[] wire = drainOutbound(channel);

        List<String> decoded = new ArrayList<>();
        int off = 0;
        while (off < wire.length) {
            int n = pieceSize.applyAsInt(wire.length - off);
            channel.writeInbound(Unpooled.wrappedBuffer(wire, off, n));
            off += n;
            for (Frame f; (f = channel.readInbound()) != null; ) {
                decoded.add(describe(f));
                if (f instanceof Frame.Data d) {
                    d.release();
                }
            }
        }
        assertFalse(channel.finish(), "no frame or byte may be left over");
        return decoded;
    }

    private static byte[] drainOutbound(EmbeddedChannel channel) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuf b; (b = channel.readOutbound()) != null; ) {
            try {
                out.writeBytes(ByteBufUtil.getBytes(b));
            } finally {
                b.release();
            }
        }
        return out.toByteArray();
    }

    private static List<String> describeAll(List<Frame> frames) {
        return frames.stream().map(FrameCodecTest::describe).collect(Collectors.toList());
    }

    /** A frame as comparable text: records print arrays and buffers by identity, so spell them out. */
    private static String describe(Frame f) {
        if (f instanceof Frame.Hello h) {
            return "Hello[" + h.minVersion() + ", " + h.maxVersion() + ", " + h.client() + ", " + h.hostId() + ", " + HEX.formatHex(h.auth()) + "]";
        } else if (f instanceof Frame.PartEnd e) {
            return "PartEnd[" + e.length() + ", " + HEX.formatHex(e.sha256()) + "]";
        } else if (f instanceof Frame.Data d) {
            return "Data[" + ByteBufUtil.hexDump(d.bytes()) + "]";
        } else if (f instanceof Frame.ChunkQuery q) {
            return "ChunkQuery[" + HEX.formatHex(q.digests()) + "]";
        } else if (f instanceof Frame.ChunkData d) {
            return "ChunkData[" + HEX.formatHex(d.digest()) + ", " + d.rawLength() + ", " + d.codec() + ", "
                    + HEX.formatHex(d.payload()) + "]";
        } else if (f instanceof Frame.ChunkRefs r) {
            return "ChunkRefs[" + HEX.formatHex(r.digests()) + ", " + Arrays.toString(r.lengths()) + "]";
        }
        return f.toString();
    }

    private static ByteBuf rawFrame(int type, byte[] payload) {
        return Unpooled.buffer().writeInt(1 + payload.length).writeByte(type).writeBytes(payload);
    }

    /** Feeds {@code in} to a fresh decoder, expects a CorruptedFrameException naming the fault. */
    private static void assertCorrupt(ByteBuf in, String messagePart) {
        EmbeddedChannel channel = channel();
        CorruptedFrameException e = assertThrows(CorruptedFrameException.class, () -> channel.writeInbound(in));
        assertTrue(e.getMessage().contains(messagePart), () -> "message \"" + e.getMessage() + "\" lacks \"" + messagePart + "\"");
        assertEquals(0, in.refCnt(), "the refused frame must be released");
        assertNull(channel.readInbound());
        assertFalse(channel.finish());
    }

    private static IntUnaryOperator whole() {
        return remaining -> remaining;
    }
}

package io.ckpt.it;

import io.ckpt.protocol.Frame;
import io.ckpt.protocol.ProtocolVersion;
import io.ckpt.protocol.codec.FrameDecoder;
import io.ckpt.protocol.codec.FrameEncoder;
import io.ckpt.protocol.codec.FrameFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * A blocking socket that speaks frames through the protocol's own codec (on an
 * {@link EmbeddedChannel}), for sending what the real client never would.
 */
public final class RawConnection implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final EmbeddedChannel codec = new EmbeddedChannel(
            new FrameDecoder(FrameFormat.DEFAULT_MAX_FRAME), FrameEncoder.INSTANCE);

    private Frame.Welcome welcome;

    private RawConnection(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.isConnected() ? socket.getInputStream() : null;
        this.out = socket.isConnected() ? socket.getOutputStream() : null;
    }

    /** Connects to the server on 127.0.0.1 and completes the handshake. */
    public static RawConnection open(int port) throws IOException {
        return open(port, "raw-test", ProtocolVersion.MIN, ProtocolVersion.MAX);
    }

    /** Connects as host {@code hostId}, offering protocol versions {@code min..max}. */
    public static RawConnection open(int port, String hostId, int min, int max) throws IOException {
        RawConnection c = new RawConnection(new Socket(InetAddress.getLoopbackAddress(), port));
        c.send(new Frame.Hello(min, max, "ckpt-it/raw", hostId, new byte[0]));
        Frame welcome = c.receive(Duration.ofSeconds(10));
        if (!(welcome instanceof Frame.Welcome w)) {
            c.close();
            throw new IOException("handshake answered with " + welcome);
        }
        c.welcome = w;
        return c;
    }

    /** No socket: only {@link #encode}. */
    public static RawConnection encoderOnly() throws IOException {
        return new RawConnection(new Socket());
    }

    /** Drops the connection with a reset (SO_LINGER 0), as a crashed client or a cut cable would. */
    public void abort() throws IOException {
        socket.setSoLinger(true, 0);
        close();
    }

    /** Connects without the handshake: for a client that misbehaves from its first byte. */
    public static RawConnection connect(int port) throws IOException {
        return new RawConnection(new Socket(InetAddress.getLoopbackAddress(), port));
    }

    /** The bytes the codec writes for {@code frame}, to send in pieces with {@link #sendRaw}. */
    public byte[] encode(Frame frame) {
        codec.writeOutbound(frame);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        ByteBuf b;
        while ((b = codec.readOutbound()) != null) {
            try {
                byte[] chunk = new byte[b.readableBytes()];
                b.readBytes(chunk);
                bytes.writeBytes(chunk);
            } finally {
                b.release();
            }
        }
        return bytes.toByteArray();
    }

    /** Whether the server has sent something not yet received (an ERROR, say). */
    public boolean hasInput() throws IOException {
        return in.available() > 0;
    }

    public void sendRaw(byte[] bytes, int from, int to) throws IOException {
        out.write(bytes, from, to - from);
        out.flush();
    }

    /**
     * Reads until the server ends the connection and returns what it sent before (an ERROR, as a
     * rule); fails if it has not ended it within {@code timeout}.
     */
    public java.util.List<Frame> awaitClosed(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        java.util.List<Frame> frames = new java.util.ArrayList<>();
        while (true) {
            Frame f = receive(Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())));
            if (f == null) {
                return frames;
            }
            frames.add(f);
        }
    }

    /** The protocol version the server chose. */
    public int version() {
        return welcome.version();
    }

    public void send(Frame frame) throws IOException {
        codec.writeOutbound(frame);
        ByteBuf b;
        while ((b = codec.readOutbound()) != null) {
            try {
                byte[] bytes = new byte[b.readableBytes()];
                b.readBytes(bytes);
                out.write(bytes);
            } finally {
                b.release();
            }
        }
        out.flush();
    }

    public void sendData(byte[] bytes) throws IOException {
        send(new Frame.Data(Unpooled.wrappedBuffer(bytes)));
    }

    /** The next frame, or null when the server closed the connection; fails after {@code timeout}. */
    public Frame receive(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] buf = new byte[64 * 1024];
        while (true) {
            Object f = codec.readInbound();
            if (f != null) {
                return (Frame) f;
            }
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                throw new SocketTimeoutException("no frame from the server within " + timeout.toSeconds() + " s");
            }
            socket.setSoTimeout((int) Math.max(1, left));
            int n = in.read(buf);
            if (n < 0) {
                return null;
            }
            codec.writeInbound(Unpooled.copiedBuffer(buf, 0, n));
        }
    }

    @Override
    public void close() throws IOException {
        codec.finishAndReleaseAll();
        socket.close();
    }
}

package io.ckpt.it.restore;

import io.ckpt.protocol.Frame;
import io.ckpt.protocol.codec.FrameDecoder;
import io.ckpt.protocol.codec.FrameFormat;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP proxy on loopback in front of a plaintext server that records, per connection, which
 * frames the client sent (decoded by the protocol's own decoder): how many round trips a
 * command really took, seen from the wire.
 */
final class FrameCountingProxy implements AutoCloseable {
    private final ServerSocket listener;
    private final int serverPort;
    private final List<List<String>> connections = new ArrayList<>();

    FrameCountingProxy(int serverPort) throws IOException {
        this.serverPort = serverPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::accept, "frame-counting-proxy");
        t.setDaemon(true);
        t.start();
    }

    String address() {
        return "127.0.0.1:" + listener.getLocalPort();
    }

    /** The frame types each connection's client sent so far, connection by connection. */
    synchronized List<List<String>> clientFrames() {
        List<List<String>> out = new ArrayList<>();
        for (List<String> c : connections) {
            synchronized (c) {
                out.add(List.copyOf(c));
            }
        }
        return out;
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(InetAddress.getLoopbackAddress(), serverPort);
                List<String> frames = new ArrayList<>();
                synchronized (this) {
                    connections.add(frames);
                }
                pump(client, server, frames);
                pump(server, client, null);
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Copies {@code from} to {@code to}; with {@code frames}, also decodes what passes and records each frame's type. */
    private static void pump(Socket from, Socket to, List<String> frames) {
        Thread t = new Thread(() -> {
            EmbeddedChannel decoder = frames == null ? null : new EmbeddedChannel(new FrameDecoder(FrameFormat.DEFAULT_MAX_FRAME));
            byte[] buf = new byte[64 << 10];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    out.write(buf, 0, n);
                    out.flush();
                    if (decoder != null) {
                        decoder.writeInbound(Unpooled.copiedBuffer(buf, 0, n));
                        Object f;
                        while ((f = decoder.readInbound()) != null) {
                            synchronized (frames) {
                                frames.add(f instanceof Frame.Request r ? "REQUEST " + r.json() : f.getClass().getSimpleName());
                            }
                            ReferenceCountUtil.release(f);
                        }
                    }
                }
            } catch (IOException e) {
                // the other side closed
            } finally {
                try {
                    to.shutdownOutput();
                } catch (IOException e) {
                    // already closed
                }
            }
        }, "frame-counting-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}

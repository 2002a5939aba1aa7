package io.ckpt.server.net;

import io.netty.channel.Channel;

/**
 * Whether a connection's socket is read (auto-read), when several reasons may each hold it shut:
 * a backlog for the ingest worker, an upload waiting for its slot, the host's upload rate. The
 * socket is read only while no reason holds it. Thread-safe: reasons come and go on the event loop
 * and on the ingest worker.
 */
final class ReadGate {
    /** More than {@link UploadBackpressure#HIGH_WATER} bytes wait for the ingest worker. */
    static final int BACKLOG = 1;
    /** UPLOAD_BEGIN is being answered, or waits for an upload slot: nothing more is read meanwhile. */
    static final int BEGIN = 2;
    /** The host is over {@code --host-upload-rate}. */
    static final int RATE = 4;

    private final Channel channel;
    private int held; // guarded by this
    private boolean open; // forced open for good: the connection failed and drains what is sent

    ReadGate(Channel channel) {
        this.channel = channel;
    }

    synchronized void hold(int reason) {
        held |= reason;
        apply();
    }

    synchronized void release(int reason) {
        held &= ~reason;
        apply();
    }

    synchronized boolean holds(int reason) {
        return (held & reason) != 0;
    }

    /** Reads from now on, whatever holds: the connection failed and only drains. */
    synchronized void openForGood() {
        open = true;
        apply();
    }

    private void apply() {
        boolean read = open || held == 0;
        if (channel.config().isAutoRead() != read) {
            channel.config().setAutoRead(read);
        }
    }
}

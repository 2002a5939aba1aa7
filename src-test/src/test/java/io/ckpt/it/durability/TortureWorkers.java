package io.ckpt.it.durability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.agent.net.CkptClient;
import io.ckpt.agent.net.ClientException;
import io.ckpt.agent.upload.CheckpointSender;
import io.ckpt.it.MemoryImage;
import io.ckpt.it.Sha256;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The clients of one {@link CrashTortureTest} round, each on its own thread with its own
 * connection and its own random stream (seeded from the run's seed, the round and its index):
 * uploaders (stream and delta, a few hundred KiB to 2 MiB, shared content), a restorer, and one
 * maintenance client that runs gc, prune and protect one after the other. Each says what it is
 * doing in {@link Worker#doing}, for the kill's phase. They stop at the first lost connection
 * once the round is {@link #stopping}; errors the server itself sent are faults, kept in
 * {@link #faults} (judged after the restart: a restore refused because a prune removed it is none).
 */
final class TortureWorkers {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Base images that uploads are mutated copies of: what they share, so dedup and compaction matter. */
    private static final int BASES = 4;

    /** A server-sent error seen by a worker, with the checkpoint it concerned (null: none). */
    record Fault(String what, TortureModel.Entry entry, ErrorCode code) {}

    private final String address;
    private final TortureModel model;
    private final int round;
    final Queue<Fault> faults = new ConcurrentLinkedQueue<>();
    final List<Worker> workers = new ArrayList<>();
    volatile boolean stopping;
    private java.util.concurrent.CountDownLatch connected;
    /** Whether the admin client sent a prune this round. */
    volatile boolean pruneSent;
    /** GC answers of this round: packs compacted, summed. */
    final java.util.concurrent.atomic.AtomicLong packsCompacted = new java.util.concurrent.atomic.AtomicLong();

    TortureWorkers(String address, TortureModel model, int round) {
        this.address = address;
        this.model = model;
        this.round = round;
    }

    /** A worker thread; {@code doing} is what it does now: idle, upload, commit, restore, gc, prune, protect. */
    abstract class Worker implements Runnable {
        final String name;
        final SplittableRandom rnd;
        volatile String doing = "idle";
        final Thread thread;
        CkptClient client;

        Worker(String name, long seed) {
            this.name = name;
            this.rnd = new SplittableRandom(seed);
            this.thread = new Thread(this, "torture-" + name);
            this.thread.setDaemon(true);
        }

        @Override
        public final void run() {
            try {
                try {
                    client = CkptClient.connect(address, name);
                } finally {
                    connected.countDown();
                }
                while (!stopping) {
                    try {
                        step();
                    } catch (ClientException e) {
                        if (e.isUnreachable()) {
                            return;
                        }
                        faults.add(new Fault(name + " while " + doing + ": " + e.getMessage(), null, e.code()));
                        client.close(); // the server may have closed it; a new one either way
                        client = CkptClient.connect(address, name);
                    }
                    doing = "idle";
                    Thread.sleep(pauseMillis());
                }
            } catch (IOException | InterruptedException e) {
                // the server was killed under it
            } catch (RuntimeException | AssertionError e) {
                faults.add(new Fault(name + " while " + doing + ": " + e, null, null));
            } finally {
                doing = "idle";
                if (client != null) {
                    client.close();
                }
            }
        }

        /** Records a refusal about checkpoint {@code e} and goes on with a new connection. */
        void refused(String what, TortureModel.Entry e, ClientException x) throws IOException {
            faults.add(new Fault(what + ": " + x.getMessage(), e, x.code()));
            client.close();
            client = CkptClient.connect(address, name);
        }

        abstract void step() throws IOException, InterruptedException;

        /** The pause between two steps. */
        long pauseMillis() {
            return rnd.nextInt(60);
        }
    }

    /** {@code fresh}: half the uploads are new data (no shared base), so packs fill and rotate fast. */
    void addUploader(int index, long seed, boolean fresh) {
        workers.add(new Uploader(index, seed, fresh));
    }

    void addRestorer(long seed) {
        workers.add(new Restorer(seed));
    }

    /** {@code gcOnly}: gc back to back, nothing else. */
    void addMaintenance(long seed, boolean gcOnly) {
        workers.add(new Maintenance(seed, gcOnly));
    }

    /** Starts the workers and returns once each has connected (or failed to), within {@code millis}. */
    void start(long millis) throws InterruptedException {
        connected = new java.util.concurrent.CountDownLatch(workers.size());
        workers.forEach(w -> w.thread.start());
        connected.await(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** Waits for every worker to end (after the kill) and says which did not. */
    List<String> join(long millis) throws InterruptedException {
        List<String> stuck = new ArrayList<>();
        for (Worker w : workers) {
            w.thread.join(millis);
            if (w.thread.isAlive()) {
                stuck.add(w.name + " (" + w.doing + ")");
            }
        }
        return stuck;
    }

    /** Uploads to its own two WPARs as host torture-up-N (so delta uploads predict from its previous ones). */
    final class Uploader extends Worker {
        private final int index;
        private final boolean fresh;

        Uploader(int index, long seed, boolean fresh) {
            super("torture-up-" + index, seed);
            this.index = index;
            this.fresh = fresh;
        }

        @Override
        void step() throws IOException {
            long bytes = (64 + rnd.nextInt(449)) * (long) MemoryImage.PAGE;
            long base = fresh && rnd.nextBoolean() ? rnd.nextLong() : 9100 + rnd.nextInt(BASES);
            MemoryImage image = MemoryImage.ofSize(base, bytes);
            if (rnd.nextInt(4) != 0) {
                image = image.mutate(0.02 + 0.3 * rnd.nextDouble(), rnd.nextLong());
            }
            String wpar = "tw" + index + (rnd.nextBoolean() ? "a" : "b");
            boolean delta = rnd.nextBoolean();
            boolean good = rnd.nextInt(3) != 0;
            TortureModel.Entry e = model.begin(wpar, good, delta ? "delta" : "stream", round);
            doing = "upload";
            MessageDigest sha = Sha256.digest();
            InputStream data = new FilterInputStream(new DigestInputStream(image.open(), sha)) {
                private long n;
                private boolean ended;

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    int r = super.read(b, off, len);
                    if (r > 0) {
                        n += r;
                    } else if (r < 0 && !ended) {
                        ended = true;
                        model.dataSent(e, HexFormat.of().formatHex(sha.digest()), n);
                        doing = "commit";
                    }
                    return r;
                }
            };
            Frame.UploadBegin begin = new Frame.UploadBegin(wpar, System.currentTimeMillis(), "manual",
                    delta ? Frame.UploadBegin.MODE_DELTA : Frame.UploadBegin.MODE_STREAM, List.of(e.label), "",
                    good ? "good" : "unknown", "");
            PartInfo part = new PartInfo("memory", PartType.STREAM, 0600, System.currentTimeMillis(), null);
            JsonNode done;
            try {
                done = CheckpointSender.send(client, begin, List.of(new CheckpointSender.Part(part, () -> data)), k -> {},
                        delta ? CheckpointSender.Mode.DELTA : CheckpointSender.Mode.STREAM, notice -> {});
            } catch (ClientException x) {
                if (x.isUnreachable()) {
                    throw x;
                }
                model.refused(e);
                refused("upload of " + e + " refused", e, x);
                return;
            }
            model.committed(e, done.path("id").asLong());
        }
    }

    /** Restores random acknowledged checkpoints and compares their SHA-256 with what was sent. */
    final class Restorer extends Worker {
        Restorer(long seed) {
            super("torture-restore", seed);
        }

        @Override
        void step() throws IOException {
            TortureModel.Entry e = model.randomCommitted(rnd, null);
            if (e == null) {
                return;
            }
            doing = "restore";
            try {
                String got = Sha256.ofRestore(client, e.id);
                if (!got.equals(e.sha256)) {
                    faults.add(new Fault("restore of " + e + " while the server ran: SHA-256 " + got + " != sent "
                            + e.sha256, e, null));
                }
            } catch (ClientException x) {
                if (x.isUnreachable()) {
                    throw x;
                }
                refused("restore of " + e + " while the server ran", e, x);
            }
        }
    }

    /** gc, prune (keep-last 1 to 3 of one WPAR) and protect, one at a time, as one admin would. */
    final class Maintenance extends Worker {
        private final boolean gcOnly;

        Maintenance(long seed, boolean gcOnly) {
            super("torture-admin", seed);
            this.gcOnly = gcOnly;
        }

        @Override
        void step() throws IOException {
            int dice = gcOnly ? 0 : rnd.nextInt(10);
            step(dice);
        }

        @Override
        long pauseMillis() {
            return gcOnly ? 0 : super.pauseMillis();
        }

        private void step(int dice) throws IOException {
            if (dice < 4) {
                doing = "gc";
                JsonNode r = client.request(JSON.createObjectNode().put("op", "gc").put("dry_run", false), 120_000);
                packsCompacted.addAndGet(r.path("packs_compacted").asLong());
            } else if (dice < 7) {
                TortureModel.Entry some = model.randomCommitted(rnd, null);
                if (some == null) {
                    return;
                }
                int keep = 1 + rnd.nextInt(3);
                doing = "prune";
                pruneSent = true;
                TortureModel.PendingPrune p = model.pruneSent(some.wpar);
                ObjectNode req = JSON.createObjectNode().put("op", "prune").put("wpar", some.wpar).put("dry_run", false)
                        .put("force", false);
                req.putObject("policy").put("keep-last", keep);
                JsonNode r;
                try {
                    r = client.request(req, 120_000);
                } catch (ClientException x) {
                    if (!x.isUnreachable()) {
                        model.prunePendingCleared();
                    }
                    throw x;
                }
                List<Long> removed = new ArrayList<>();
                for (JsonNode w : r.path("wpars")) {
                    for (JsonNode cp : w.path("remove")) {
                        removed.add(cp.path("id").asLong());
                    }
                }
                for (TortureModel.Entry wrong : model.pruneAnswered(p, removed)) {
                    faults.add(new Fault("prune of WPAR " + some.wpar + " (keep-last " + keep + ") removed protected "
                            + wrong, wrong, null));
                }
            } else if (dice < 9) {
                TortureModel.Entry e = model.randomCommitted(rnd, null);
                if (e == null || e.isProtected) {
                    return;
                }
                doing = "protect";
                model.protectSent(e);
                client.request(JSON.createObjectNode().put("op", "protect").put("id", e.id).put("protected", true));
                model.protectAcknowledged(e);
            }
        }
    }
}

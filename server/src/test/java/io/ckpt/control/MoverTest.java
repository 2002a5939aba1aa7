package io.ckpt.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.catalog.WparDao;
import io.ckpt.ingest.ScratchDatastore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's side of moves with agents simulated on threads that long-poll {@link Hosts} and
 * answer their tasks: a target that cannot start the WPAR hands it back to the source, and
 * automatic failover moves a silent host's WPAR when the config asks for it.
 */
final class MoverTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String A = "test-host"; // the host ScratchDatastore uploads as: the owner

    @TempDir
    Path dir;
    private ScratchDatastore store;
    private Hosts hosts;
    private Mover mover;
    private final List<FakeAgent> agents = new ArrayList<>();
    private long checkpoint;

    /** An agent on a thread: polls, answers each task with {@code handler}, until stopped. */
    private final class FakeAgent extends Thread {
        final String host;
        final Function<JsonNode, ObjectNode> handler;
        final List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        volatile boolean stop;

        FakeAgent(String host, Function<JsonNode, ObjectNode> handler) {
            this.host = host;
            this.handler = handler;
            setDaemon(true);
        }

        @Override
        public void run() {
            try {
                while (!stop) {
                    CompletableFuture<String> answer = new CompletableFuture<>();
                    ObjectNode poll = JSON.createObjectNode().put("wait_ms", 100);
                    poll.putArray("wpars").addObject().put("name", "web01");
                    hosts.poll(host, poll, "test", answer::complete);
                    for (JsonNode task : JSON.readTree(answer.get(5, TimeUnit.SECONDS)).path("tasks")) {
                        seen.add(task.path("type").asText());
                        ObjectNode r = handler.apply(task);
                        r.put("task", task.path("id").asLong());
                        hosts.result(host, r);
                    }
                }
            } catch (Exception e) {
                if (!stop) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    private FakeAgent agent(String host, Function<JsonNode, ObjectNode> handler) {
        FakeAgent a = new FakeAgent(host, handler);
        agents.add(a);
        a.start();
        return a;
    }

    private static ObjectNode ok(boolean ok) {
        return JSON.createObjectNode().put("ok", ok).put("detail", ok ? "done" : "restart failed");
    }

    @BeforeEach
    void open() throws IOException {
        store = ScratchDatastore.open(dir.resolve("ds"));
        checkpoint = store.upload("web01", 1_700_000_000_000L, new byte[100_000]).id();
        store.catalog().write(h -> h.execute("UPDATE checkpoints SET health = 'good' WHERE id = ?", checkpoint));
    }

    private void start(Placement placement) {
        hosts = new Hosts(placement.lease());
        mover = new Mover(store.catalog(), new Ownership(store.catalog(), store.ds().journal()), hosts, () -> placement);
    }

    @AfterEach
    void close() throws IOException {
        agents.forEach(a -> a.stop = true);
        if (mover != null) {
            mover.close();
            hosts.close();
        }
        store.close();
    }

    private WparDao.Owner owner() throws IOException {
        return store.catalog().read(h -> h.attach(WparDao.class).owner("web01")).orElseThrow();
    }

    @Test
    void targetThatCannotStartTheWparHandsItBackToTheSource() throws Exception {
        start(Placement.NONE);
        FakeAgent a = agent(A, t -> t.path("type").asText().equals("final_checkpoint")
                ? ok(true).put("checkpoint", checkpoint) : ok(true));
        // The agent says the restart failed and nothing runs (state not_started, issue 20): only then may the WPAR go back.
        FakeAgent b = agent("nodeB", t -> t.path("type").asText().equals("start")
                ? ok(false).put("state", "not_started") : ok(true));
        awaitLive(A, "nodeB");

        ObjectNode r = mover.relocate("web01", "nodeB", Duration.ofSeconds(10));

        assertFalse(r.path("ok").asBoolean(), r::toString);
        assertTrue(r.path("result").asText().contains("restarted on " + A + " from the final checkpoint"), r::toString);
        assertEquals(new WparDao.Owner("web01", A, 3), owner(), "owner A (1), then B (2), then A again (3)");
        assertEquals(List.of("prestage", "start"), b.seen);
        assertEquals(List.of("final_checkpoint", "start"), a.seen);
        List<String> steps = new ArrayList<>();
        r.path("steps").forEach(s -> steps.add(s.path("step").asText()));
        assertTrue(steps.get(steps.size() - 1).equals("restart on the source"), steps::toString);
    }

    @Test
    void failedStartThatDoesNotSayWhatRunsKeepsTheWparOnTheTarget() throws Exception {
        start(Placement.NONE);
        FakeAgent a = agent(A, t -> t.path("type").asText().equals("final_checkpoint")
                ? ok(true).put("checkpoint", checkpoint) : ok(true));
        FakeAgent b = agent("nodeB", t -> ok(!t.path("type").asText().equals("start"))); // an agent too old to send state

        awaitLive(A, "nodeB");
        ObjectNode r = mover.relocate("web01", "nodeB", Duration.ofSeconds(10));

        assertFalse(r.path("ok").asBoolean(), r::toString);
        assertEquals("unknown", r.path("state").asText(), r::toString);
        assertEquals(new WparDao.Owner("web01", "nodeB", 2), owner(), "stays with nodeB: it may run there");
        assertEquals(List.of("final_checkpoint"), a.seen, "never restarted on the source");
        assertEquals(List.of("prestage", "start"), b.seen);
    }

    @Test
    void finalCheckpointThatFailsLeavesTheWparWhereItWas() throws Exception {
        start(Placement.NONE);
        agent(A, t -> ok(false));
        FakeAgent b = agent("nodeB", t -> ok(true));
        awaitLive(A, "nodeB");

        ObjectNode r = mover.relocate("web01", "nodeB", Duration.ofSeconds(10));

        assertFalse(r.path("ok").asBoolean(), r::toString);
        assertEquals(new WparDao.Owner("web01", A, 1), owner(), "ownership never moved");
        assertEquals(List.of("prestage"), b.seen, "the target was asked to stage, never to start");
    }

    @Test
    void automaticFailoverMovesASilentHostsWparToItsBackup() throws Exception {
        Placement p = Placement.parse(JSON.readTree("[{\"match\":\"web*\",\"primary\":\"" + A + "\",\"backup\":\"nodeB\"}]"),
                JSON.readTree("{\"lease\":\"1s\",\"automatic\":true}"));
        start(p);
        FakeAgent a = agent(A, t -> ok(true));
        FakeAgent b = agent("nodeB", t -> ok(true));
        awaitLive(A, "nodeB");
        a.stop = true; // A goes silent

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!"nodeB".equals(owner().ownerHost())) {
            assertTrue(System.nanoTime() < deadline, "no automatic failover: " + owner());
            Thread.sleep(100);
        }
        assertEquals(2, owner().epoch());
        while (!b.seen.contains("start")) { // ownership moves first, then the backup is asked to start it
            assertTrue(System.nanoTime() < deadline, "the backup was never asked to start it: " + b.seen);
            Thread.sleep(50);
        }
    }

    @Test
    void noAutomaticFailoverUnlessConfigured() throws Exception {
        Placement p = Placement.parse(JSON.readTree("[{\"match\":\"web*\",\"primary\":\"" + A + "\",\"backup\":\"nodeB\"}]"),
                JSON.readTree("{\"lease\":\"1s\"}"));
        start(p);
        FakeAgent a = agent(A, t -> ok(true));
        agent("nodeB", t -> ok(true));
        awaitLive(A, "nodeB");
        a.stop = true;
        Thread.sleep(3000); // three leases: an automatic failover would have run
        assertEquals(A, owner().ownerHost());
    }

    private void awaitLive(String... names) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (String n : names) {
            while (!hosts.isLive(n)) {
                assertTrue(System.nanoTime() < deadline, n + " never polled");
                Thread.sleep(20);
            }
        }
    }
}

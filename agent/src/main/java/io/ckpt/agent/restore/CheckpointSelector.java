package io.ckpt.agent.restore;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * Which checkpoint of a WPAR to restore, as the server's {@code select} request asks for it
 * (docs/PROTOCOL.md, "select"). The choice itself is the server's: it holds the list.
 */
public sealed interface CheckpointSelector {
    ObjectMapper JSON = new ObjectMapper();

    /** The {@code select} request for this choice among {@code wpar}'s checkpoints. */
    ObjectNode request(String wpar);

    /** A short description for messages: {@code checkpoint 42}, {@code the last known good}, ... */
    String describe();

    /** Exactly this checkpoint, which must belong to the WPAR. */
    record Id(long id) implements CheckpointSelector {
        @Override
        public ObjectNode request(String wpar) {
            return base(wpar).put("id", id);
        }

        @Override
        public String describe() {
            return "checkpoint " + id;
        }
    }

    /** The newest complete checkpoint taken at or before {@code time}. */
    record At(Instant time) implements CheckpointSelector {
        @Override
        public ObjectNode request(String wpar) {
            return base(wpar).put("at", time.toString());
        }

        @Override
        public String describe() {
            return "the newest checkpoint taken at or before " + time;
        }
    }

    /** The newest complete checkpoint. */
    record Latest() implements CheckpointSelector {
        @Override
        public ObjectNode request(String wpar) {
            return base(wpar).put("latest", true);
        }

        @Override
        public String describe() {
            return "the newest checkpoint";
        }
    }

    /** The newest complete checkpoint marked good (the LKG). */
    record LastKnownGood() implements CheckpointSelector {
        @Override
        public ObjectNode request(String wpar) {
            return base(wpar).put("last_known_good", true);
        }

        @Override
        public String describe() {
            return "the last known good checkpoint";
        }
    }

    /** The newest checkpoint if it is a final one (a clean stop or a move), else the last known good. */
    record Resume() implements CheckpointSelector {
        @Override
        public ObjectNode request(String wpar) {
            return base(wpar).put("resume", true);
        }

        @Override
        public String describe() {
            return "the resume point (a final checkpoint, else the last known good)";
        }
    }

    /** The newest complete checkpoint marked good that is older than checkpoint {@code id}: a fallback's next try. */
    record GoodOlderThan(long id) implements CheckpointSelector {
        @Override
        public ObjectNode request(String wpar) {
            return base(wpar).put("last_known_good", true).put("older_than_id", id);
        }

        @Override
        public String describe() {
            return "the newest good checkpoint older than checkpoint " + id;
        }
    }

    private static ObjectNode base(String wpar) {
        return JSON.createObjectNode().put("op", "select").put("wpar", wpar);
    }
}

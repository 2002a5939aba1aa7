package io.ckpt.retention;

/**
 * A prune that {@link RetentionPlan#refuseIfRemovesAll(boolean)} stopped: the policy is empty, or
 * it would remove every checkpoint of the WPAR and the prune was not forced. The caller adds the
 * WPAR to the message.
 */
public final class PruneRefusedException extends Exception {
    /** Why the prune was refused; an empty policy is refused even when forced. */
    public enum Reason { EMPTY_POLICY, REMOVES_ALL }

    private final Reason reason;

    public PruneRefusedException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}

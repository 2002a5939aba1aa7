package io.ckpt.agent.restore;

/**
 * How a start makes sure this host may run the WPAR before it restarts it (the fence against a
 * second copy): the server's {@code claim} or {@code confirm} request.
 */
public sealed interface OwnershipCheck {
    /**
     * {@code {"op":"claim"}}: become the owner; refused (REFUSED) when another host owns the WPAR,
     * unless {@code takeOver}. What {@code ckpt restore --start} does.
     */
    record Claim(boolean takeOver) implements OwnershipCheck {}

    /**
     * {@code {"op":"confirm"}}: go on only if this host already owns the WPAR at {@code epoch},
     * which the server moved to it for a relocation or failover; refused otherwise.
     */
    record Confirm(long epoch) implements OwnershipCheck {}
}

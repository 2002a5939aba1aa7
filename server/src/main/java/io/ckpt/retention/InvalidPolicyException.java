package io.ckpt.retention;

/**
 * A retention policy that cannot be used: a negative count other than -1, an unknown key, an
 * unparsable duration, an empty or malformed label. The message names the key and the value.
 */
public final class InvalidPolicyException extends IllegalArgumentException {
    public InvalidPolicyException(String message) {
        super(message);
    }
}

/**
 * Decides which checkpoints of a WPAR a retention policy keeps: {@link io.ckpt.retention.RetentionPolicy}
 * (restic's {@code forget} keep-rules plus {@code keep-good} and label groups, validated once) applied by
 * {@link io.ckpt.retention.RetentionPlan} to a plain list of {@link io.ckpt.retention.Candidate}s, with
 * the rules that keep each one. Pure: no I/O and no clock; the prune that deletes is a shell around it.
 * Never removed, whatever the policy says: the last known good checkpoint, protected checkpoints,
 * checkpoints still uploading, and checkpoints a running restore or relocation is reading.
 */
package io.ckpt.retention;

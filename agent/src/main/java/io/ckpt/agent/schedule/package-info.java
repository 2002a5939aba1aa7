/**
 * When each WPAR's next checkpoint is due: a pure core ({@link io.ckpt.agent.schedule.Schedule} over an interval
 * grid or a 5-field {@link io.ckpt.agent.schedule.CronExpression}, with a per-WPAR jitter offset and daily
 * {@link io.ckpt.agent.schedule.SkipWindow}s), and the thin {@link io.ckpt.agent.schedule.Scheduler} shell that
 * starts due checkpoints on an executor, never two at once for one WPAR, driven by an injectable clock.
 */
package io.ckpt.agent.schedule;

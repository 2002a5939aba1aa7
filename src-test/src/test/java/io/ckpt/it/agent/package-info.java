/** End-to-end tests of the agent (schedules, spool, presets, final checkpoints, relocation, PowerHA scripts): real server and agent processes over loopback (docs/TESTING.md). */
package io.ckpt.it.agent;

/**
 * The agent's configuration: one YAML file parsed into immutable records and validated once, by
 * {@link io.ckpt.agent.config.AgentConfig#load}, so the agent starts fully configured or not at all. Every error is a
 * {@link io.ckpt.agent.config.ConfigException} naming the file, line, column and key. Nothing here runs a command.
 */
package io.ckpt.agent.config;

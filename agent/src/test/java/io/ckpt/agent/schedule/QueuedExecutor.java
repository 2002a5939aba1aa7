package io.ckpt.agent.schedule;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Executor;

/** An executor that holds tasks until the test runs them: a task still queued is a checkpoint still running. */
final class QueuedExecutor implements Executor {
    private final Deque<Runnable> tasks = new ArrayDeque<>();

    @Override
    public void execute(Runnable task) {
        tasks.add(task);
    }

    /** Runs the oldest task (and so ends that checkpoint). */
    void runNext() {
        Runnable task = tasks.poll();
        if (task == null) {
            throw new AssertionError("no checkpoint is running");
        }
        task.run();
    }

    /** Runs tasks until none is left, including those that finishing ones start. */
    void runAll() {
        while (!tasks.isEmpty()) {
            runNext();
        }
    }

    int pending() {
        return tasks.size();
    }
}

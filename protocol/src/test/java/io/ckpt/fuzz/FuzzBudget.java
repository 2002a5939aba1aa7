package io.ckpt.fuzz;

import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * How long the fuzz properties run (docs/TESTING.md). The default suite gives each property
 * {@value #DEFAULT_TRIES} tries from the fixed seed {@value #DEFAULT_SEED}, so every run tries the
 * same inputs; {@code -Dfuzz.tries=N} runs longer and {@code -Dfuzz.seed=random} (or a number)
 * explores other inputs. jqwik prints the seed of a failing run so that it can be replayed.
 */
public final class FuzzBudget implements AroundPropertyHook {
    public static final int DEFAULT_TRIES = 300;
    public static final String DEFAULT_SEED = "20261126";

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
        context.attributes().setTries(Integer.getInteger("fuzz.tries", DEFAULT_TRIES));
        String seed = System.getProperty("fuzz.seed", DEFAULT_SEED);
        if (!seed.equals("random")) {
            context.attributes().setSeed(seed);
        }
        return property.execute();
    }
}

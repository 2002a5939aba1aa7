/**
 * Garbage collection: forgets chunks no checkpoint uses, rewrites the live chunks of mostly-dead
 * packs into new packs, and deletes the old pack files once no restore can be reading them.
 */
package io.ckpt.gc;

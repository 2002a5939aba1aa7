/**
 * The manifest of a checkpoint: its header, its parts and each part's ordered chunk digests, in
 * one self-checking binary file. The server writes one beside the packs for every complete
 * checkpoint, so that the catalog can be rebuilt from the datastore alone.
 */
package io.ckpt.manifest;

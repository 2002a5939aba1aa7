/**
 * Alerts: conditions the server tracks as active (a key, a severity, a first-seen time and a
 * message), logged once when raised and once when cleared, and listed by the {@code alerts}
 * request for monitoring (docs/OPERATIONS.md, "Alerts").
 */
package io.ckpt.alert;

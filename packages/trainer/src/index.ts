/** @loom/trainer: see README.md. */
export {};

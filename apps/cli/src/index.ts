/** @loom/cli: see README.md. */
export {};

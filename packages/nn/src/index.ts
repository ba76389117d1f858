/** @loom/nn: see README.md. */
export {};

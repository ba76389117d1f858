/** @loom/data: see README.md. */
export {};

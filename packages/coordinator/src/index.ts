/** @loom/coordinator: see README.md. */
export {};

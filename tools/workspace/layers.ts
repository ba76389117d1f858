/**
 * The architecture's layers, and which Loom packages each may import. This table is
 * the rule; `layers.spec.ts` enforces it on every source file and package.json.
 *
 *   apps/cli
 *      |
 *   trainer, coordinator
 *      |
 *   nn, data
 *      |
 *   tensor
 */
export const ALLOWED_IMPORTS: Record<string, readonly string[]> = {
  '@loom/tensor': [],
  '@loom/nn': ['@loom/tensor'],
  '@loom/data': ['@loom/tensor'],
  '@loom/trainer': ['@loom/tensor', '@loom/nn', '@loom/data'],
  '@loom/coordinator': ['@loom/tensor', '@loom/nn', '@loom/data', '@loom/trainer'],
  '@loom/cli': ['@loom/tensor', '@loom/nn', '@loom/data', '@loom/trainer', '@loom/coordinator'],
};

/** Where each package lives, relative to the repository root. */
export const PACKAGE_DIRS: Record<string, string> = {
  '@loom/tensor': 'packages/tensor',
  '@loom/nn': 'packages/nn',
  '@loom/data': 'packages/data',
  '@loom/trainer': 'packages/trainer',
  '@loom/coordinator': 'packages/coordinator',
  '@loom/cli': 'apps/cli',
};

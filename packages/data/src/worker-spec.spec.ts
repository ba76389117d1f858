import * as path from 'node:path';
import { WorkerSpecError } from './errors';
import { Lambda } from './transforms/compose';
import { ToTensor } from './transforms/to-tensor';
import { isWorkerRecreatable, nestedWorkerSpec, recreateFromSpec } from './worker-spec';
import { FromArgs, Scaled } from '../test/fixtures/recreatable';

const userModule = path.join(__dirname, '../test/fixtures/recreatable.ts');

describe('WorkerSpec', () => {
  it('tells recreatable values apart', () => {
    expect(isWorkerRecreatable(new ToTensor())).toBe(true);
    expect(isWorkerRecreatable(new Lambda((x) => x))).toBe(false);
    expect(isWorkerRecreatable(null)).toBe(false);
    expect(isWorkerRecreatable(() => 1)).toBe(false);
  });

  it('re-creates a user class with new, from an absolute module path', () => {
    const copy = recreateFromSpec(structuredClone({ module: userModule, exportName: 'Scaled', args: [5, 3] })) as Scaled;
    expect(copy.getItem(4)).toBe(12);
  });

  it('prefers a static fromWorkerArgs', () => {
    const before = FromArgs.made;
    const copy = recreateFromSpec({ module: userModule, exportName: 'FromArgs', args: [Int32Array.of(1, 2)] }) as FromArgs;
    expect(FromArgs.made).toBe(before + 1);
    expect(Array.from(copy.values)).toEqual([1, 2]);
  });

  it('re-creates nested specs inside arrays and objects first', () => {
    const spec = { module: '@loom/data', exportName: 'Compose', args: [[nestedWorkerSpec(new ToTensor(), 'test', 'part')]] };
    const copy = recreateFromSpec(structuredClone(spec)) as { transforms: unknown[] };
    expect(copy.transforms[0]).toBeInstanceOf(ToTensor);
    expect(nestedWorkerSpec(null, 'test', 'transform')).toBeNull();
  });

  it('explains what cannot be re-created', () => {
    expect(() => nestedWorkerSpec((x: number) => x, 'FashionMNIST', 'transform')).toThrow(
      'FashionMNIST.workerSpec: transform is an anonymous function, which cannot be re-created in a worker thread',
    );
    expect(() => recreateFromSpec({ module: './x', exportName: 'X', args: [] })).toThrow("module './x' is a relative path");
    expect(() => recreateFromSpec({ module: '/nonexistent/module.js', exportName: 'X', args: [] })).toThrow("cannot load module '/nonexistent/module.js'");
    expect(() => recreateFromSpec({ module: userModule, exportName: 'Nope', args: [] })).toThrow("has no exported class 'Nope'");
    expect(() => recreateFromSpec({ module: userModule } as never)).toThrow(WorkerSpecError);
  });

  it('keeps shared buffers shared through a structured clone', () => {
    const shared = new Int32Array(new SharedArrayBuffer(8));
    const clone = structuredClone({ module: userModule, exportName: 'FromArgs', args: [shared] });
    const copy = recreateFromSpec(clone) as FromArgs;
    shared[1] = 9;
    expect(copy.values[1]).toBe(9);
  });
});

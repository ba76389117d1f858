/**
 * `MNIST` and `FashionMNIST`, as `torchvision.datasets` with torchvision 0.14's
 * options, mirrors, checksums and class names. See `mnist-files.ts` for where the
 * files are looked for.
 */
import { ArgumentError } from '@loom/tensor';
import { Dataset } from '../dataset/dataset';
import { checkIndex } from '../internal/check';
import { applyTransform, checkTransform, type TransformLike } from '../transforms/transform';
import { nestedWorkerSpec, type WorkerRecreatable, type WorkerSpec } from '../worker-spec';
import { HostImage } from './host-image';
import { downloadSplit, loadArrays, locate, notFoundError, rawFolder, type MnistArrays, type MnistSource } from './mnist-files';

/** Options of {@link MNIST} and {@link FashionMNIST}: torchvision's, plus where to look. */
export interface MnistOptions<I = HostImage, L = number> {
  /** The folder holding `<Name>/raw/` (torchvision's `root`). */
  root: string;
  /** The 60000 training samples (default) or the 10000 test samples. */
  train?: boolean;
  /** Fetch missing files from the mirrors; needs `await <Class>.load(options)`. */
  download?: boolean;
  /** Applied to each `HostImage` (e.g. `new ToTensor()`). */
  transform?: TransformLike<HostImage, I> | null;
  /** Applied to each label. */
  targetTransform?: TransformLike<number, L> | null;
  /** Base URLs to download from, in order (default torchvision's). */
  mirrors?: readonly string[];
  /** MD5 per `.gz` file name, overriding torchvision's (for other mirrors' files). */
  checksums?: Readonly<Record<string, string>>;
  /** Folders searched after `root` (default: the Debian package's, if any). */
  systemDirs?: readonly string[];
  /** Already decoded arrays (how workers re-create the dataset); skips the files. */
  data?: MnistArrays;
}

/**
 * The MNIST digits: `getItem(i)` is `[image, label]` where `image` is a 28x28
 * `HostImage` (torchvision: a PIL image) or what `transform` makes of it, and `label`
 * an integer in 0..9 (or what `targetTransform` makes of it). The decoded pixels and
 * labels (`data`, `targets`) live in shared memory: DataLoader workers share them.
 *
 * No Debian package ships MNIST: put torchvision's files in `root/MNIST/raw/` or use
 * `await MNIST.load({ root, download: true })`.
 *
 * @example
 * ```ts
 * const mnist = await MNIST.load({ root: 'data', download: true, transform: new ToTensor() });
 * const [x, y] = mnist.getItem(0); // Tensor [1, 28, 28], 5
 * ```
 */
export class MNIST<I = HostImage, L = number> extends Dataset<[I, L]> implements WorkerRecreatable {
  /** torchvision's mirrors, tried in order. */
  static readonly mirrors: readonly string[] = ['http://yann.lecun.com/exdb/mnist/', 'https://ossci-datasets.s3.amazonaws.com/mnist/'];
  /** torchvision's files and their MD5s. */
  static readonly resources: readonly (readonly [string, string])[] = [
    ['train-images-idx3-ubyte.gz', 'f68b3c2dcbeaaa9fbdd348bbdeb94873'],
    ['train-labels-idx1-ubyte.gz', 'd53e105ee54ea40749a09fcbcd1e9432'],
    ['t10k-images-idx3-ubyte.gz', '9fb629c4189551a2d022fa330f9573f3'],
    ['t10k-labels-idx1-ubyte.gz', 'ec29112dd5afa0611ce80d1b7f02629c'],
  ];
  /** torchvision's class names. */
  static readonly classes: readonly string[] = ['0 - zero', '1 - one', '2 - two', '3 - three', '4 - four', '5 - five', '6 - six', '7 - seven', '8 - eight', '9 - nine'];
  /** Folders a system package installs the files to (none for MNIST). */
  static readonly systemDirs: readonly string[] = [];
  /** The Debian package with the files, if any. */
  static readonly debianPackage: string | null = null;

  readonly root: string;
  readonly train: boolean;
  readonly transform: TransformLike<HostImage, I> | null;
  readonly targetTransform: TransformLike<number, L> | null;
  /** All images, `length * height * width` bytes (torchvision's `data`), read-only. */
  readonly data: Uint8Array;
  /** All labels (torchvision's `targets`), read-only. */
  readonly targets: Uint8Array;
  readonly height: number;
  readonly width: number;
  /** The folder the files were read from. */
  readonly source: string;

  constructor(options: MnistOptions<I, L>) {
    super();
    const ctor = this.constructor as typeof MNIST;
    const where = ctor.name;
    if (typeof options !== 'object' || options === null) throw new ArgumentError(`${where}: expected an options object such as { root: 'data' }, got ${String(options)}`);
    const { root, train = true, download = false, transform = null, targetTransform = null } = options;
    if (typeof root !== 'string') throw new ArgumentError(`${where}: root must be a folder path (a string), got ${typeof root}`);
    if (typeof train !== 'boolean') throw new ArgumentError(`${where}: train must be a boolean, got ${String(train)}`);
    checkTransform(where, 'transform', transform);
    checkTransform(where, 'targetTransform', targetTransform);
    const arrays = options.data ?? ctor.find(options, download);
    checkArrays(where, arrays);
    this.root = root;
    this.train = train;
    this.transform = transform;
    this.targetTransform = targetTransform;
    this.data = arrays.images;
    this.targets = arrays.labels;
    this.height = arrays.height;
    this.width = arrays.width;
    this.source = arrays.source;
  }

  /**
   * Constructs the dataset after downloading its files when `download` is set and they
   * are found nowhere (downloading is asynchronous, so the constructor cannot do it).
   *
   * @example
   * ```ts
   * const test = await MNIST.load({ root: 'data', train: false, download: true });
   * ```
   */
  static async load<I = HostImage, L = number>(options: MnistOptions<I, L>): Promise<MNIST<I, L>> {
    const source = this.describeSource();
    if (options?.download && !options.data && typeof options.root === 'string' && this.locate(options).found === null) {
      await downloadSplit(source, options.root, options.train ?? true, options.mirrors ?? source.mirrors, options.checksums ?? {});
    }
    return new this(options) as MNIST<I, L>;
  }

  /** The class names (torchvision's `classes`). */
  get classes(): readonly string[] {
    return (this.constructor as typeof MNIST).classes;
  }

  /** Class name to label (torchvision's `class_to_idx`). */
  get classToIdx(): Record<string, number> {
    return Object.fromEntries(this.classes.map((name, i) => [name, i]));
  }

  /** `[image, label]`, each through its transform if one was given. */
  getItem(index: number): [I, L] {
    checkIndex(`${this.constructor.name}.getItem`, index, this.targets.length);
    const pixels = this.height * this.width;
    const image = new HostImage(this.data.subarray(index * pixels, (index + 1) * pixels), this.height, this.width, 1);
    const label = this.targets[index]!;
    return [
      (this.transform ? applyTransform(this.transform, image) : image) as I,
      (this.targetTransform ? applyTransform(this.targetTransform, label) : label) as L,
    ];
  }

  get length(): number {
    return this.targets.length;
  }

  /** Sends the shared pixels and labels (no copy) and the transforms' specs. */
  workerSpec(): WorkerSpec {
    const name = this.constructor.name;
    const data: MnistArrays = { images: this.data, labels: this.targets, height: this.height, width: this.width, source: this.source };
    const options = {
      root: this.root,
      train: this.train,
      transform: nestedWorkerSpec(this.transform, name, 'transform'),
      targetTransform: nestedWorkerSpec(this.targetTransform, name, 'targetTransform'),
      data,
    };
    return { module: '@loom/data', exportName: name, args: [options] };
  }

  /** The class's files, mirrors and folders. */
  private static describeSource(): MnistSource {
    return { name: this.name, mirrors: this.mirrors, resources: this.resources, systemDirs: this.systemDirs, debianPackage: this.debianPackage };
  }

  private static locate(options: MnistOptions<unknown, unknown>): ReturnType<typeof locate> {
    const dirs = [rawFolder(options.root, this.describeSource()), ...(options.systemDirs ?? this.systemDirs)];
    return locate(dirs, options.train ?? true);
  }

  private static find(options: MnistOptions<unknown, unknown>, download: boolean): MnistArrays {
    const { found, searched } = this.locate(options);
    if (found === null) throw notFoundError(this.describeSource(), searched, download);
    return loadArrays(found);
  }
}

/**
 * Zalando's Fashion-MNIST: 28x28 grayscale images of 10 kinds of clothing
 * (`classes`: 'T-shirt/top', 'Trouser', ...), the data set of PyTorch's quickstart.
 * Found in `root/FashionMNIST/raw/`, then in Debian's package
 * (`apt-get install dataset-fashion-mnist`), or downloaded with `load`.
 *
 * @example
 * ```ts
 * const trainingData = new FashionMNIST({ root: 'data', train: true, download: false, transform: new ToTensor() });
 * const testData = new FashionMNIST({ root: 'data', train: false, download: false, transform: new ToTensor() });
 * trainingData.length; // 60000
 * trainingData.classes[trainingData.getItem(0)[1]]; // 'Ankle boot'
 * ```
 */
export class FashionMNIST<I = HostImage, L = number> extends MNIST<I, L> {
  static override readonly mirrors: readonly string[] = ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'];
  static override readonly resources: readonly (readonly [string, string])[] = [
    ['train-images-idx3-ubyte.gz', '8d4fb7e6c68d591d4c3dfef9ec88bf0d'],
    ['train-labels-idx1-ubyte.gz', '25c81989df183df01b3e8a0aad5dffbe'],
    ['t10k-images-idx3-ubyte.gz', 'bef4ecab320f06d8554ea6380940ec79'],
    ['t10k-labels-idx1-ubyte.gz', 'bb300cfdad3c16e7a12a480ee83cd310'],
  ];
  static override readonly classes: readonly string[] = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
  /** Where Debian's dataset-fashion-mnist puts the (gzipped) files. */
  static override readonly systemDirs: readonly string[] = ['/usr/share/datasets/fashion-mnist'];
  static override readonly debianPackage: string | null = 'dataset-fashion-mnist';

  /** {@link MNIST.load} for Fashion-MNIST. @example `await FashionMNIST.load({ root: 'data', download: true })` */
  static override load<I = HostImage, L = number>(options: MnistOptions<I, L>): Promise<FashionMNIST<I, L>> {
    return super.load(options) as Promise<FashionMNIST<I, L>>;
  }
}

function checkArrays(where: string, a: MnistArrays): void {
  if (!(a.images instanceof Uint8Array) || !(a.labels instanceof Uint8Array) || !(a.height > 0) || !(a.width > 0)) {
    throw new ArgumentError(`${where}: data must hold Uint8Array images and labels and positive height and width`);
  }
  if (a.images.length !== a.labels.length * a.height * a.width) {
    throw new ArgumentError(`${where}: data has ${a.images.length} pixels for ${a.labels.length} labels of ${a.height}x${a.width} images: expected ${a.labels.length * a.height * a.width}`);
  }
}

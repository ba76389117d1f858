/**
 * Finding, downloading and decoding the four IDX files of an MNIST-style data set.
 *
 * Look-up order, first match wins, per split (images and labels must sit together):
 *   1. `root/<Name>/raw/`  torchvision's layout, each file unpacked or `.gz`
 *   2. system folders      Debian's `/usr/share/datasets/fashion-mnist/` for Fashion-MNIST
 *   3. the mirrors         only with `download: true` (written to 1, MD5-checked)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataFormatError, DatasetNotFoundError } from '../errors';
import { downloadFile } from './download';
import { readIdx } from './idx';

/** Where a data set comes from: torchvision's class attributes plus Debian's folder. @internal */
export interface MnistSource {
  /** The class name: torchvision's folder under `root` and the export name for workers. */
  name: string;
  mirrors: readonly string[];
  /** `[file, md5]` of the `.gz` files, as torchvision's `resources`. */
  resources: readonly (readonly [string, string])[];
  /** Folders a system package installs the files to. */
  systemDirs: readonly string[];
  /** The Debian package that installs them, if there is one. */
  debianPackage: string | null;
}

/** The decoded arrays of one split, in shared memory. */
export interface MnistArrays {
  /** `count * height * width` pixels. */
  images: Uint8Array;
  /** `count` labels. */
  labels: Uint8Array;
  height: number;
  width: number;
  /** The folder the files were read from. */
  source: string;
}

const GZ = '.gz';

/** The base names of a split's files (torchvision's, without `.gz`). @internal */
export function splitFiles(train: boolean): { images: string; labels: string } {
  const prefix = train ? 'train' : 't10k';
  return { images: `${prefix}-images-idx3-ubyte`, labels: `${prefix}-labels-idx1-ubyte` };
}

/** torchvision's folder for the raw files: `root/<Name>/raw`. @internal */
export function rawFolder(root: string, source: MnistSource): string {
  return path.join(root, source.name, 'raw');
}

/**
 * Looks for a split's two files in each folder in order; returns the first folder's
 * paths that has both, and every path looked at.
 * @internal
 */
export function locate(dirs: readonly string[], train: boolean): { found: { images: string; labels: string } | null; searched: string[] } {
  const names = splitFiles(train);
  const searched: string[] = [];
  for (const dir of dirs) {
    const pick = (base: string): string | null => {
      const candidates = [path.join(dir, base), path.join(dir, base + GZ)];
      searched.push(...candidates);
      return candidates.find((p) => fs.existsSync(p)) ?? null;
    };
    const images = pick(names.images);
    const labels = pick(names.labels);
    if (images && labels) return { found: { images, labels }, searched };
  }
  return { found: null, searched };
}

/** Reads and cross-checks a split's files. @internal */
export function loadArrays(files: { images: string; labels: string }): MnistArrays {
  const images = readIdx(files.images, 'images');
  const labels = readIdx(files.labels, 'labels');
  const [count, height, width] = images.dims as [number, number, number];
  if (labels.dims[0] !== count) {
    throw new DataFormatError(files.labels, `${files.labels}: ${labels.dims[0]} labels, expected ${count}, one per image of ${files.images}`, 'the two files come from different data sets or versions');
  }
  return { images: images.data, labels: labels.data, height, width, source: path.dirname(files.images) };
}

/**
 * Downloads a split's two `.gz` files into `root/<Name>/raw/`, each MD5-checked and
 * validated as IDX before it is renamed into place.
 * @internal
 */
export async function downloadSplit(source: MnistSource, root: string, train: boolean, mirrors: readonly string[], checksums: Readonly<Record<string, string>>): Promise<void> {
  const dir = rawFolder(root, source);
  const names = splitFiles(train);
  for (const [base, kind] of [[names.images, 'images'], [names.labels, 'labels']] as const) {
    const file = base + GZ;
    if (fs.existsSync(path.join(dir, file))) continue;
    const md5 = checksums[file] ?? source.resources.find(([name]) => name === file)?.[1];
    if (md5 === undefined) throw new DataFormatError(file, `${source.name}: no MD5 known for ${file}`, 'pass it in the checksums option');
    await downloadFile({ file, md5, mirrors, dir, validate: (temp) => void readIdx(temp, kind, file) });
  }
}

/** The error for a split found nowhere: every path looked at, and how to get the files. @internal */
export function notFoundError(source: MnistSource, searched: readonly string[], download: boolean): DatasetNotFoundError {
  const ways = [
    ...(source.debianPackage ? [`apt-get install ${source.debianPackage}`] : []),
    `await ${source.name}.load({ root, download: true }) to download from ${source.mirrors.join(', ')}`,
    'or put torchvision\'s raw files (unpacked or .gz) in root/' + source.name + '/raw/',
  ];
  const why = download ? ' (download: true needs the asynchronous constructor: the files are fetched over the network)' : '';
  return new DatasetNotFoundError(`${source.name}: Dataset not found${why}. Looked for:\n  ${searched.join('\n  ')}`, searched, ways.join('; '));
}

/**
 * Downloading Fashion-MNIST from mirrors, against a local HTTP server on 127.0.0.1
 * serving small generated IDX files (there is no internet in CI): success, a wrong
 * checksum, a truncated transfer, a truncated file, a wrong magic number, and a 404
 * followed by a mirror that works. Every failure names the file and the expectation
 * and leaves nothing behind.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import { DownloadError, FashionMNIST } from '@loom/data';
import { idxImages, idxLabels, listFiles, removeDir, tempDir } from './fixtures/idx-fixtures';

const IMAGES = 'train-images-idx3-ubyte.gz';
const LABELS = 'train-labels-idx1-ubyte.gz';
const COUNT = 4;

type Route = { body: Buffer; cutAt?: number };

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const goodImages = zlib.gzipSync(idxImages(COUNT));
const goodLabels = zlib.gzipSync(idxLabels(COUNT));

describe('FashionMNIST.load({ download: true }) against a local mirror', () => {
  let server: http.Server;
  let base: string;
  const routes = new Map<string, Route>();
  const hits: string[] = [];
  let root: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits.push(req.url!);
      const route = routes.get(req.url!);
      if (!route) {
        res.writeHead(404, 'Not Found').end();
        return;
      }
      res.writeHead(200, { 'content-length': route.body.length });
      if (route.cutAt === undefined) {
        res.end(route.body);
      } else {
        res.write(route.body.subarray(0, route.cutAt), () => res.destroy());
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  beforeEach(() => {
    routes.clear();
    hits.length = 0;
    root = tempDir();
  });
  afterEach(() => removeDir(root));

  const serve = (mirror: string, images: Route, labels: Route = { body: goodLabels }): void => {
    routes.set(`/${mirror}/${IMAGES}`, images);
    routes.set(`/${mirror}/${LABELS}`, labels);
  };
  const load = (mirrors: string[], checksums?: Record<string, string>): Promise<FashionMNIST> =>
    FashionMNIST.load({ root, download: true, systemDirs: [], mirrors: mirrors.map((m) => `${base}/${m}/`), checksums });
  const failure = async (promise: Promise<unknown>): Promise<DownloadError> => {
    try {
      await promise;
    } catch (e) {
      expect(e).toBeInstanceOf(DownloadError);
      return e as DownloadError;
    }
    throw new Error('expected a DownloadError');
  };

  it('downloads, checks and keeps the .gz files in torchvision layout; a second load reads them', async () => {
    serve('m1', { body: goodImages });
    const checksums = { [IMAGES]: md5(goodImages), [LABELS]: md5(goodLabels) };
    const ds = await load(['m1'], checksums);
    expect(ds.length).toBe(COUNT);
    expect(ds.getItem(1)[1]).toBe(3);
    expect(listFiles(root)).toEqual([`FashionMNIST/raw/${IMAGES}`, `FashionMNIST/raw/${LABELS}`]);
    const served = hits.length;
    expect((await load(['m1'], checksums)).length).toBe(COUNT);
    expect(hits.length).toBe(served);
  });

  it('refuses a file whose MD5 differs from torchvision\'s', async () => {
    serve('m1', { body: goodImages });
    const e = await failure(load(['m1']));
    expect(e.file).toBe(IMAGES);
    expect(e.message).toContain(`download of ${IMAGES} failed on every mirror (expected a file with MD5 8d4fb7e6c68d591d4c3dfef9ec88bf0d)`);
    expect(e.message).toContain(`MD5 ${md5(goodImages)}, expected 8d4fb7e6c68d591d4c3dfef9ec88bf0d`);
    expect(listFiles(root)).toEqual([]);
  });

  it('refuses a transfer that breaks off', async () => {
    serve('m1', { body: goodImages, cutAt: 100 });
    const e = await failure(load(['m1'], { [IMAGES]: md5(goodImages), [LABELS]: md5(goodLabels) }));
    expect(e.message).toContain(IMAGES);
    expect(e.attempts[0]).toMatch(/broke off after \d+ bytes|received \d+ bytes, but the server announced/);
    expect(listFiles(root)).toEqual([]);
  });

  it('refuses a truncated file even when its checksum matches', async () => {
    const cut = goodImages.subarray(0, goodImages.length - 50);
    serve('m1', { body: cut });
    const e = await failure(load(['m1'], { [IMAGES]: md5(cut), [LABELS]: md5(goodLabels) }));
    expect(e.attempts[0]).toContain(`${IMAGES}: the gzip stream does not decompress`);
    expect(e.attempts[0]).toContain('expected a complete gzipped IDX images file');
    expect(listFiles(root)).toEqual([]);
  });

  it('refuses a file with a wrong IDX magic number', async () => {
    const wrong = zlib.gzipSync(idxImages(COUNT, 28, 28, 0x00000802));
    serve('m1', { body: wrong });
    const e = await failure(load(['m1'], { [IMAGES]: md5(wrong), [LABELS]: md5(goodLabels) }));
    expect(e.attempts[0]).toContain(`${IMAGES}: magic number 0x00000802, expected 0x00000803`);
    expect(listFiles(root)).toEqual([]);
  });

  it('moves on from a 404 to the next mirror', async () => {
    serve('m2', { body: goodImages });
    const ds = await load(['missing', 'm2'], { [IMAGES]: md5(goodImages), [LABELS]: md5(goodLabels) });
    expect(ds.length).toBe(COUNT);
    expect(hits).toEqual([`/missing/${IMAGES}`, `/m2/${IMAGES}`, `/missing/${LABELS}`, `/m2/${LABELS}`]);
    expect(listFiles(root)).toEqual([`FashionMNIST/raw/${IMAGES}`, `FashionMNIST/raw/${LABELS}`]);
  });

  it('lists every mirror when all fail', async () => {
    const e = await failure(load(['a', 'b']));
    expect(e.attempts).toEqual([`${base}/a/${IMAGES}: HTTP 404 Not Found`, `${base}/b/${IMAGES}: HTTP 404 Not Found`]);
    expect(e.message).toContain(`${base}/b/${IMAGES}: HTTP 404 Not Found`);
    expect(fs.readdirSync(root)).toEqual([]); // the folders made for the download are gone too
  });
});

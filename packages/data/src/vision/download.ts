/**
 * Downloading a data set file from mirrors, as torchvision does, with the MD5 checked
 * and the file validated before it appears: it is written to a temporary file in the
 * target folder and renamed into place only when complete, so an interrupted or bad
 * download leaves nothing behind.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DownloadError } from '../errors';
import { log } from '../internal/log';

/** One file to fetch. */
export interface DownloadRequest {
  /** The file name, appended to each mirror URL and used in the target folder. */
  file: string;
  /** The expected MD5 of the file's bytes, lower-case hex. */
  md5: string;
  /** Base URLs, tried in order. */
  mirrors: readonly string[];
  /** The folder to write into (created if missing). */
  dir: string;
  /** Checks the downloaded bytes (given the temporary path) beyond the MD5; throws if bad. */
  validate?: (tempPath: string) => void;
}

/**
 * Downloads `request.file` into `request.dir` from the first mirror that serves it
 * with the right MD5 and passes `validate`; every failure moves on to the next mirror.
 * Resolves to the final path; rejects with a `DownloadError` listing each attempt.
 *
 * @example
 * ```ts
 * await downloadFile({ file: 'train-labels-idx1-ubyte.gz', md5: '25c81989df183df01b3e8a0aad5dffbe',
 *   mirrors: ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'], dir: 'data/FashionMNIST/raw' });
 * ```
 */
export async function downloadFile(request: DownloadRequest): Promise<string> {
  const { file, md5, mirrors, dir } = request;
  const target = path.join(dir, file);
  const created = fs.mkdirSync(dir, { recursive: true });
  const attempts: string[] = [];
  for (const mirror of mirrors) {
    const url = `${mirror.endsWith('/') ? mirror : `${mirror}/`}${file}`;
    const temp = path.join(dir, `.${file}.${process.pid}.${randomBytes(4).toString('hex')}.part`);
    try {
      log(`downloading ${url}`);
      const digest = await fetchToFile(url, temp);
      if (digest !== md5) throw new Error(`MD5 ${digest}, expected ${md5}`);
      request.validate?.(temp);
      fs.renameSync(temp, target);
      return target;
    } catch (cause) {
      attempts.push(`${url}: ${(cause as Error).message}`);
    } finally {
      fs.rmSync(temp, { force: true });
    }
  }
  removeCreatedDirs(created, dir);
  throw new DownloadError(
    file,
    `download of ${file} failed on every mirror (expected a file with MD5 ${md5}):\n  ${attempts.join('\n  ') || '(no mirrors given)'}`,
    attempts,
    'check the network and the mirrors option, or install the files by hand (see the dataset docs)',
  );
}

/** Streams `url` into `dest`, returning the MD5 of what was written. */
async function fetchToFile(url: string, dest: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status} ${response.statusText}`);
  const expected = Number(response.headers.get('content-length') ?? NaN);
  const hash = createHash('md5');
  const out = await fs.promises.open(dest, 'w');
  let received = 0;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      received += chunk.length;
      await out.write(chunk);
    }
  } catch (cause) {
    throw new Error(`the transfer broke off after ${received} bytes (${(cause as Error).message})`);
  } finally {
    await out.close();
  }
  if (Number.isFinite(expected) && received !== expected) throw new Error(`received ${received} bytes, but the server announced ${expected}`);
  return hash.digest('hex');
}

/** Removes the folders `mkdirSync` created for a download that failed (if still empty). */
function removeCreatedDirs(first: string | undefined, dir: string): void {
  if (first === undefined) return;
  for (let d = path.resolve(dir); d.length >= path.resolve(first).length; d = path.dirname(d)) {
    try {
      fs.rmdirSync(d);
    } catch {
      return; // not empty (someone else's files): keep it and its parents
    }
  }
}

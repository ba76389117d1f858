/**
 * Throwaway PKI for the TLS tests, made with `openssl` at test time in a temporary
 * folder (no private key is committed): a job CA, certificates it signs for
 * 127.0.0.1, a certificate for another name, and a stranger's CA and certificate.
 * Also a raw grpc-js caller of any method, standing in for a client that is not Loom's.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Metadata, credentials, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { loadTls, type TlsMaterial } from '../src';

/** Why the TLS tests cannot run here, or null. */
export function opensslMissing(): string | null {
  return spawnSync('openssl', ['version']).status === 0 ? null : 'openssl is not installed (apt install openssl)';
}

/** One certificate's files. */
export interface CertFiles {
  cert: string;
  key: string;
  ca: string;
}

/** A CA in `dir` that signs leaf certificates valid as both TLS server and client. */
export class TestPki {
  readonly caCert: string;
  private readonly caKey: string;

  constructor(
    readonly dir: string,
    name: string,
  ) {
    this.caCert = path.join(dir, `${name}-ca.pem`);
    this.caKey = path.join(dir, `${name}-ca.key`);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', this.caKey, '-out', this.caCert, '-days', '1', '-subj', `/CN=${name} test CA`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'], { stdio: 'pipe' });
  }

  /** A certificate for `subjectAltName` (default: IP 127.0.0.1), signed by this CA. */
  issue(name: string, subjectAltName = 'IP:127.0.0.1'): CertFiles {
    const key = path.join(this.dir, `${name}.key`);
    const csr = path.join(this.dir, `${name}.csr`);
    const cert = path.join(this.dir, `${name}.pem`);
    const ext = path.join(this.dir, `${name}.ext`);
    fs.writeFileSync(ext, `subjectAltName=${subjectAltName}\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n`);
    execFileSync('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${name}`], { stdio: 'pipe' });
    execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', this.caCert, '-CAkey', this.caKey, '-CAcreateserial', '-out', cert, '-days', '1', '-extfile', ext], { stdio: 'pipe' });
    return { cert, key, ca: this.caCert };
  }

  /** `issue(name)` loaded as TLS material. */
  material(name: string, subjectAltName?: string): TlsMaterial {
    return loadTls(this.issue(name, subjectAltName)) as TlsMaterial;
  }
}

/** A fresh temporary folder. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** How a raw call ended: its status code and details, or 'OK'. */
export interface RawOutcome {
  code: number;
  details: string;
  loomCode: string | undefined;
}

/**
 * Calls `path` on `address` with raw request bytes, as a client that is not Loom's;
 * unary, server streaming or client streaming (one message). Resolves with the status
 * the call ended with.
 */
export function rawCall(address: string, methodPath: string, request: Buffer, options: { streaming?: boolean; clientStreaming?: boolean; metadata?: Metadata; credentials?: ChannelCredentials; timeoutMs?: number } = {}): Promise<RawOutcome> {
  const client = new Client(address, options.credentials ?? credentials.createInsecure());
  const metadata = options.metadata ?? new Metadata();
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  const outcome = (e: ServiceError | null): RawOutcome => ({ code: e?.code ?? 0, details: e?.details ?? 'OK', loomCode: e?.metadata?.get('loom-error-code')[0] as string | undefined });
  return new Promise((resolve) => {
    const done = (e: ServiceError | null): void => {
      client.close();
      resolve(outcome(e));
    };
    if (options.clientStreaming) {
      const call = client.makeClientStreamRequest(methodPath, (b: Buffer) => b, (b: Buffer) => b, metadata, { deadline }, (e) => done(e as ServiceError | null));
      call.write(request);
      call.end();
    } else if (options.streaming) {
      const call = client.makeServerStreamRequest(methodPath, (b: Buffer) => b, (b: Buffer) => b, request, metadata, { deadline });
      call.on('data', () => call.cancel());
      call.on('error', (e: ServiceError) => done(e));
      call.on('end', () => done(null));
    } else {
      client.makeUnaryRequest(methodPath, (b: Buffer) => b, (b: Buffer) => b, request, metadata, { deadline }, (e) => done(e as ServiceError | null));
    }
  });
}

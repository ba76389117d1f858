/**
 * The security flags as users meet them, through the built `loom` binary: the bind rule,
 * bad token and TLS settings and limits out of range (exit 2, naming the flag), a
 * multi-node run with a token file and one with mutual TLS, a worker with a wrong
 * token refused, and the token never shown: not in output, errors, help, the run
 * directory or any process's command line.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const BIN = path.resolve(__dirname, '../bin/loom.js');
const JOB = path.resolve(__dirname, 'fixtures/tiny-job.ts');
const TOKEN = 'cli-test-token-5f1e0c2d9a8b7c6d';

function loom(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, LOOM_LOG: 'silent', ...env } });
}

function tmp(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

function tokenFile(token = TOKEN): string {
  const file = path.join(tmp('loom-token-'), 'token');
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return file;
}

/** Every file under `dir`, as text. */
function allText(dir: string): string {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => fs.readFileSync(path.join(e.parentPath ?? e.path, e.name)).toString('latin1'))
    .join('\n');
}

/** A running `loom` process with its output collected. */
function start(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, LOOM_LOG: 'silent', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => text, exit };
}

/** The command line of process `pid`, as `ps` shows it to every user. */
function cmdline(pid: number): string {
  return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
}

/** Child processes of `parent`, from /proc (no `ps`: minimal images lack procps). */
function childrenOf(parent: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces, so split after its ')'.
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const randomPort = (): number => 30000 + Math.floor(Math.random() * 20000);

describe('usage errors: exit 2, naming the flag, the value and what is accepted', () => {
  test.each([
    [['coordinator', '--host', '0.0.0.0'], {}, /--host 0\.0\.0\.0: refusing to listen on 0\.0\.0\.0 without a token or TLS[^]*help: give every process of the job the same token \(--token-file FILE or the LOOM_TOKEN environment variable/],
    [['worker', JOB, '--coordinator', '127.0.0.1:1', '--host', '10.9.8.7'], {}, /--host 10\.9\.8\.7: refusing to listen on 10\.9\.8\.7 without a token or TLS/],
    [['worker', JOB, '--coordinator', '127.0.0.1:1', '--host', '0.0.0.0'], { LOOM_TOKEN: TOKEN }, /--host: invalid value '0\.0\.0\.0': the ring gives this address to the other workers[^]*not a wildcard/],
    [['coordinator', '--token-file', '/nonexistent/token'], {}, /token file '\/nonexistent\/token' cannot be read \(ENOENT\)/],
    [['coordinator'], { LOOM_TOKEN: 'short-secret' }, /LOOM_TOKEN: the token has 12 characters, expected at least 16/],
    [['coordinator', '--tls-cert', '/nonexistent/cert.pem'], {}, /--tls-key is missing/],
    [['coordinator', '--tls-cert', JOB, '--tls-key', JOB], {}, /--tls-cert '.*tiny-job\.ts' is not a PEM certificate/],
    [['coordinator', '--max-message-bytes', '10'], {}, /--max-message-bytes: invalid value '10': expected an integer >= 1024 and <= 2147483647/],
    [['coordinator', '--join-rate', '0'], {}, /--join-rate: invalid value '0': expected an integer >= 1 and <= 1000000/],
    [['coordinator', '--heartbeat-rate', 'lots'], {}, /--heartbeat-rate: invalid value 'lots': expected an integer >= 1/],
    [['coordinator', '--port', '70000'], {}, /--port: invalid value '70000': expected an integer >= 0 and <= 65535/],
    [['coordinator', '--min-workers', '0'], {}, /--min-workers: invalid value '0': expected an integer >= 1/],
    [['worker', JOB, '--coordinator', '127.0.0.1:1', '--rank', '-1'], {}, /--rank: invalid value '-1': expected an integer >= 0/],
    [['worker', JOB, '--coordinator', '127.0.0.1:1', '--peer-port', '65536'], {}, /--peer-port: invalid value '65536': expected an integer >= 0 and <= 65535/],
    [['worker', JOB, '--coordinator', 'nohost'], {}, /--coordinator: invalid value 'nohost': expected HOST:PORT/],
  ] as [string[], NodeJS.ProcessEnv, RegExp][])('%j', (args, env, message) => {
    const r = loom(args, env);
    expect(r.stderr).toMatch(message);
    expect(r.status).toBe(2);
    expect(r.stderr).not.toContain('short-secret');
  });

  test('there is no --token flag: argv is visible to every user of the machine', () => {
    const r = loom(['coordinator', '--token', TOKEN]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown flag --token: expected one of .*--token-file/);
    expect(r.stderr).not.toContain(TOKEN);
  });
});

test.each(['coordinator', 'worker'])('loom %s --help documents the token flags without showing the token', (cmd) => {
  const r = loom([cmd, '--help'], { LOOM_TOKEN: TOKEN });
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/--token-file <value>\s+file holding the job's shared token \(or set LOOM_TOKEN\)/);
  expect(r.stdout).toMatch(/--tls-ca <value>/);
  expect(r.stdout).not.toContain(TOKEN);
});

test('multi-node on 0.0.0.0 with a token: workers with it train, one without it is refused; the token is never shown', async () => {
  const runDir = path.join(tmp('loom-sec-run-'), 'run');
  const port = randomPort();
  const file = tokenFile();
  // Every tracer on: not even debug lines may show the token.
  const trace = { LOOM_TRACE: 'all', LOOM_LOG: 'info' };
  const coordinator = start(['coordinator', JOB, '--host', '0.0.0.0', '--port', String(port), '--min-workers', '2', '--token-file', file, '--run-dir', runDir], trace);
  const stranger = start(['worker', JOB, '--coordinator', `127.0.0.1:${port}`, '--run-dir', path.join(tmp('loom-sec-x-'), 'run')], { LOOM_TOKEN: 'a-wrong-token-of-another-job' });
  expect(await stranger.exit).toBe(1);
  expect(stranger.output()).toMatch(/Coordinator.Join: call from .* has a wrong bearer token\nhelp: pass the job's token to every worker/);
  expect(stranger.output()).not.toContain('a-wrong-token-of-another-job');
  // One worker reads the file, the other the environment.
  const workers = [
    start(['worker', JOB, '--coordinator', `127.0.0.1:${port}`, '--run-dir', runDir, '--token-file', file, '--host', '127.0.0.1', '--peer-port', String(port + 1)], trace),
    start(['worker', JOB, '--coordinator', `127.0.0.1:${port}`, '--run-dir', runDir], { LOOM_TOKEN: TOKEN, ...trace }),
  ];
  for (const p of [coordinator, ...workers]) expect(cmdline(p.child.pid as number)).not.toContain(TOKEN);
  expect(await Promise.all(workers.map((w) => w.exit))).toEqual([0, 0]);
  expect(await coordinator.exit).toBe(0);
  expect(workers.map((w) => w.output()).join('')).toContain('Done!');
  expect(coordinator.output()).toMatch(/coordinator listening on 0\.0\.0\.0:\d+ \(security: token\)/);
  expect(JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8'))).toMatchObject({ workers: 2, security: 'token' });
  expect(coordinator.output()).toMatch(/\[loom:coordinator:/);
  for (const text of [coordinator.output(), ...workers.map((w) => w.output()), allText(runDir)]) expect(text).not.toContain(TOKEN);
}, 180_000);

/** Runs `loom launch` with 2 workers, catching each worker's LOOM_TOKEN and command line while it runs. */
async function launchAndWatch(): Promise<{ workers: { token: string | undefined; cmdline: string }[]; output: string; runDir: string }> {
  const runDir = path.join(tmp('loom-sec-launch-'), 'run');
  const launch = start(['launch', '--nproc-per-node', '2', JOB, '--run-dir', runDir, '--epochs', '1']);
  const seen = new Map<number, { token: string | undefined; cmdline: string }>();
  while (launch.child.exitCode === null && seen.size < 2) {
    for (const pid of childrenOf(launch.child.pid as number).filter((p) => !seen.has(p))) {
      try {
        // Between fork and exec a child still has the launcher's command line and
        // environment: look again once it runs `loom worker`.
        const line = cmdline(pid);
        if (!/ worker /.test(line)) continue;
        const env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
        seen.set(pid, { token: env.find((e) => e.startsWith('LOOM_TOKEN='))?.slice('LOOM_TOKEN='.length), cmdline: line });
      } catch {
        // exited between ps and the read
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(await launch.exit).toBe(0);
  return { workers: [...seen.values()], output: launch.output(), runDir };
}

test('loom launch gives its workers a fresh random token through the environment, never argv', async () => {
  const first = await launchAndWatch();
  expect(first.workers).toHaveLength(2);
  const token = first.workers[0]?.token as string;
  expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(first.workers[1]?.token).toBe(token);
  for (const w of first.workers) expect(w.cmdline).not.toContain(token);
  expect(first.output).not.toContain(token);
  expect(allText(first.runDir)).not.toContain(token);
  const second = await launchAndWatch();
  expect(second.workers[0]?.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(second.workers[0]?.token).not.toBe(token);
}, 180_000);

const opensslMissing = spawnSync('openssl', ['version']).status !== 0;
(opensslMissing ? test.skip : test)('multi-node with mutual TLS: certificates from the job CA train; the run dir records it', async () => {
  const dir = tmp('loom-sec-tls-');
  const pem = (name: string): string => path.join(dir, name);
  const ossl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'pipe' });
  ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', pem('ca.key'), '-out', pem('ca.pem'), '-days', '1', '-subj', '/CN=loom cli test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  fs.writeFileSync(pem('ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n');
  const tls = (name: string): string[] => {
    ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', pem(`${name}.key`), '-out', pem(`${name}.csr`), '-subj', `/CN=${name}`);
    ossl('x509', '-req', '-in', pem(`${name}.csr`), '-CA', pem('ca.pem'), '-CAkey', pem('ca.key'), '-CAcreateserial', '-out', pem(`${name}.pem`), '-days', '1', '-extfile', pem('ext'));
    return ['--tls-cert', pem(`${name}.pem`), '--tls-key', pem(`${name}.key`), '--tls-ca', pem('ca.pem')];
  };
  const runDir = path.join(dir, 'run');
  const port = randomPort();
  const coordinator = start(['coordinator', JOB, '--host', '0.0.0.0', '--port', String(port), '--min-workers', '2', '--run-dir', runDir, ...tls('coordinator')]);
  const workers = [0, 1].map((i) => start(['worker', JOB, '--coordinator', `127.0.0.1:${port}`, '--run-dir', runDir, ...tls(`worker-${i}`)]));
  expect(await Promise.all(workers.map((w) => w.exit))).toEqual([0, 0]);
  expect(await coordinator.exit).toBe(0);
  expect(coordinator.output()).toMatch(/\(security: mutual TLS\)/);
  expect(JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8'))).toMatchObject({ security: 'mutual TLS' });
}, 180_000);

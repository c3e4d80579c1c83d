// Test support: a real S3 server (tests/servers/s3server, s3rver by default) for the test
// file's process, and real mps3d processes on fresh buckets. The programs come from the build:
// MPS3D_PATH and MPS3_S3_TOOL (ctest sets them); MPS3_TEST_SERVER picks the server kind.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, afterEach, before, beforeEach } from 'node:test';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

import { Client, Mps3ConnectionError } from '../index.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const S3SERVER = join(REPO, 'tests', 'servers', 's3server');

export function program(variable) {
  const path = process.env[variable] ?? '';
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`${variable} must name the built program (ctest sets it), not '${path}'`);
  }
  return path;
}

/** Polls `condition` (sync or async) until it holds; throws naming `what` past `timeoutMs`. */
export async function until(condition, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await sleep(20);
  }
}

export class S3Server {
  static start() {
    const kind = process.env.MPS3_TEST_SERVER ?? 's3rver';
    const dir = mkdtempSync('/tmp/mps3-nodeclient-s3.');
    // Diagnostics to a file, not a pipe: the server's watchdog keeps a copy of the descriptor.
    const log = openSync(join(dir, 's3server.log'), 'w');
    const started = spawnSync(S3SERVER, ['start', kind, join(dir, 'server')], {
      env: { ...process.env, MPS3_TEST_OWNER_PID: String(process.pid) },
      stdio: ['ignore', 'ignore', log],
      timeout: 300_000,
    });
    closeSync(log);
    if (started.status !== 0) {
      const text = readFileSync(join(dir, 's3server.log'), 'utf8');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`s3server start ${kind} failed:\n${text}`);
    }
    return new S3Server(dir);
  }

  constructor(dir) {
    this.dir = dir;
    const env = Object.fromEntries(
      readFileSync(join(dir, 'server', 'server.env'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    this.endpoint = env.MPS3_TEST_ENDPOINT;
    this.accessKey = env.MPS3_TEST_ACCESS_KEY;
    this.secretKey = env.MPS3_TEST_SECRET_KEY;
  }

  environment() {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && k !== 'MPS3_SOCKET'),
    );
    return { ...env, AWS_ACCESS_KEY_ID: this.accessKey, AWS_SECRET_ACCESS_KEY: this.secretKey, AWS_REGION: 'us-east-1' };
  }

  makeBucket() {
    const name = `js-${randomBytes(8).toString('hex')}`;
    const made = spawnSync(program('MPS3_S3_TOOL'), ['--endpoint', this.endpoint, 'mb', name], {
      env: this.environment(),
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (made.status !== 0) throw new Error(`mps3-s3 mb ${name} failed: ${made.stderr}`);
    return name;
  }

  stop() {
    spawnSync(S3SERVER, ['stop', join(this.dir, 'server')], { stdio: 'ignore', timeout: 60_000 });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A real mps3d on its own bucket; stop/start keep its state directory (same replica). */
export class Daemon {
  constructor(s3) {
    this.s3 = s3;
    this.dir = mkdtempSync('/tmp/mps3js.'); // short: Unix socket paths are limited to 107 bytes
    this.bucket = s3.makeBucket();
    this.socket = join(this.dir, 'mps3d.sock');
    this.logPath = join(this.dir, 'mps3d.log');
    this.child = null;
  }

  /** Starts mps3d (on `socket`, default its own) and resolves once it answers. */
  async start(socket = this.socket) {
    const log = openSync(this.logPath, 'a');
    this.child = spawn(
      program('MPS3D_PATH'),
      ['--endpoint', this.s3.endpoint, '--bucket', this.bucket, '--socket', socket,
        '--state-dir', join(this.dir, 'state'), '--poll-interval', '250', '--log-level', 'debug',
        '--shutdown-timeout', '2000'],
      {
        // No configuration file of the machine's user: only the flags count.
        env: { ...this.s3.environment(), XDG_CONFIG_HOME: join(this.dir, 'config'), HOME: this.dir },
        stdio: ['ignore', log, log],
      },
    );
    closeSync(log);
    const child = this.child;
    const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    this.exited = exited;
    await until(async () => {
      if (child.exitCode !== null) throw new Error(`mps3d exited with ${child.exitCode}:\n${this.logTail()}`);
      const probe = new Client({ socket, timeoutMs: 5000 });
      try {
        await probe.status();
        return true;
      } catch (e) {
        if (e instanceof Mps3ConnectionError) return false;
        throw e;
      } finally {
        probe.close();
      }
    }, () => `mps3d to answer on ${socket}:\n${this.logTail()}`, 30_000);
  }

  /** Stops mps3d with `signal` and resolves with its exit code. */
  async stop(signal = 'SIGTERM') {
    const child = this.child;
    this.child = null;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  logTail(lines = 40) {
    try {
      return readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  async dispose() {
    if (this.child) await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * One mps3d (on an s3rver of its own) for the tests of the enclosing `describe`, started before
 * them and disposed after: starting one per test would be most of the suite's time, so each test
 * uses keys of its own and leaves the daemon running and online. Each test gets a client from
 * `open(socket)`, closed after it. Call it inside `describe`; read `.daemon` and `.db` in a test.
 */
export function sharedDaemon(open) {
  const shared = { s3: undefined, daemon: undefined, db: undefined };
  before(async () => {
    shared.s3 = S3Server.start();
    shared.daemon = new Daemon(shared.s3);
    await shared.daemon.start();
  });
  after(async () => {
    await shared.daemon?.dispose();
    shared.s3?.stop();
  });
  beforeEach(async () => {
    shared.db = await open(shared.daemon.socket);
  });
  afterEach(() => shared.db?.close());
  return shared;
}

// The socket lookup is mps3ctl's: each case is checked against the real mps3ctl, which names
// the path it tried when nothing answers there.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { resolveSocketPath } from '../index.js';
import { program } from '../test-support/daemon.js';

const CONFIGS = {
  none: null,
  socket: '[daemon]\nsocket = /tmp/mps3-cfg/a.sock   # a comment\n',
  quoted: '# hi\n[daemon]\nsocket = "/tmp/mps3-cfg/with \\"quotes\\" ; x.sock"\n[store "s"]\nbucket = notes\n',
  'last wins': '[daemon]\nsocket = /tmp/one.sock\n[daemon]\nsocket = /tmp/two.sock\n',
  'no socket': '[daemon]\nlog_level = debug\n',
  'bad syntax': '[daemon\nsocket = /tmp/mps3-cfg/ignored.sock\n',
  'unknown key': '[daemon]\nsocket = /tmp/mps3-cfg/ignored.sock\ncolour = red\n',
  'bad number': '[daemon]\nsocket = /tmp/mps3-cfg/ignored.sock\nmax_frame_bytes = 12\n',
  outside: 'socket = /tmp/mps3-cfg/ignored.sock\n',
  'bad bucket': '[daemon]\nsocket = /tmp/mps3-cfg/ignored.sock\n[store "s"]\nbucket = b\n',
};

function mps3ctlPath(env, system) {
  const args = [...(system ? ['--system'] : []), '--timeout', '1', 'status'];
  const done = spawnSync(program('MPS3CTL_PATH'), args, { env, encoding: 'utf8', timeout: 30_000 });
  const found = /cannot connect to mps3d at (.*): /.exec(done.stderr);
  assert.ok(found, `mps3ctl said: ${done.stderr}`);
  return found[1];
}

const base = mkdtempSync('/tmp/mps3js-path.');
after(() => rmSync(base, { recursive: true, force: true }));
let n = 0;

const cases = [
  ...Object.keys(CONFIGS).flatMap((config) =>
    ['runtime dir', 'no runtime dir'].map((variables) => [config, variables, false])),
  ...['none', 'socket'].flatMap((config) =>
    ['MPS3_SOCKET', 'empty MPS3_SOCKET'].flatMap((variables) =>
      [false, true].map((system) => [config, variables, system]))),
];

for (const [config, variables, system] of cases) {
  test(`the lookup is mps3ctl's: config ${config}, ${variables}${system ? ', system' : ''}`, () => {
    const dir = join(base, String(n++));
    const env = { PATH: process.env.PATH, HOME: join(dir, 'home'), XDG_CONFIG_HOME: join(dir, 'config') };
    if (variables !== 'no runtime dir') env.XDG_RUNTIME_DIR = join(dir, 'run');
    if (variables === 'MPS3_SOCKET') env.MPS3_SOCKET = join(dir, 'env.sock');
    if (variables === 'empty MPS3_SOCKET') env.MPS3_SOCKET = '';
    if (CONFIGS[config] !== null) {
      mkdirSync(join(dir, 'config', 'mps3'), { recursive: true });
      writeFileSync(join(dir, 'config', 'mps3', 'mps3d.conf'), CONFIGS[config]);
    }
    assert.equal(resolveSocketPath({ env, system }), mps3ctlPath(env, system));
  });
}

test('an explicit socket wins', () => {
  assert.equal(resolveSocketPath({ socket: '/x.sock', env: { MPS3_SOCKET: '/env.sock' } }), '/x.sock');
  assert.equal(resolveSocketPath({ env: { MPS3_SOCKET: '/env.sock' } }), '/env.sock');
  assert.equal(resolveSocketPath({ env: { HOME: '/nonexistent' }, uid: 1234 }), '/tmp/mps3-1234/mps3/mps3d.sock');
});

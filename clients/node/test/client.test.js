// The Client against a real mps3d and s3rver: every method, errors, reconnection.
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';

import {
  Client, InvalidKeyError, InvalidParamsError, MethodNotFoundError, Mps3ConnectionError,
  Mps3Error, OperationTimeoutError, UnknownStoreError, ValueTooLargeError, connect,
} from '../index.js';
import { sharedDaemon } from '../test-support/daemon.js';

describe('Client', () => {
  const shared = sharedDaemon((socket) => connect({ socket }));
  let daemon;
  let db;
  beforeEach(() => ({ daemon, db } = shared));

  test('put, get, delete; a stored null is not an absent key', async () => {
    const first = await db.put('users/ada', { name: 'Ada' });
    const second = await db.put('users/nil', null);
    assert.ok(second > first);
    assert.deepEqual(await db.get('users/ada'), { name: 'Ada' });
    assert.equal(await db.get('users/nil'), null);
    assert.equal(await db.get('users/none'), undefined);
    assert.ok((await db.delete('users/ada')) > second);
    assert.equal(await db.get('users/ada'), undefined);
    await assert.rejects(db.put('k', undefined), TypeError);
  });

  test('values keep their JSON types', async () => {
    const value = { s: 'é\n"x"', i: -3, f: 1.5, l: [true, null, {}], u: '😀' };
    await db.put('typed', value);
    assert.deepEqual(await db.get('typed'), value);
  });

  test('putAll is atomic; getAll gives the keys found', async () => {
    await db.put('b/old', 1);
    const seq = await db.putAll([{ key: 'b/x', value: 1 }, { key: 'b/y', value: [2] }, { key: 'b/old', delete: true }]);
    assert.equal((await db.status()).lastSeq, seq);
    assert.deepEqual(await db.getAll(['b/x', 'b/y', 'b/old']), new Map([['b/x', 1], ['b/y', [2]]]));
  });

  test('list follows the cursor page by page', async () => {
    const keys = Array.from({ length: 250 }, (_, i) => `p/${String(i).padStart(3, '0')}`);
    await db.putAll(keys.map((key, i) => ({ key, value: i })));
    await db.put('q/outside', 0);
    const pages = [];
    for await (const page of db.list('p/', { limit: 100 })) pages.push(page);
    assert.deepEqual(pages.map((p) => p.entries.length), [100, 100, 50]);
    assert.deepEqual(pages.map((p) => p.cursor), ['p/099', 'p/199', undefined]);
    assert.deepEqual(pages.flatMap((p) => p.entries.map((e) => e.key)), keys);
    const items = [];
    for await (const item of db.items('p/')) items.push(item);
    assert.deepEqual(items, keys.map((key, i) => ({ key, value: i })));
    const resumed = await db.listPage('p/', { limit: 10, cursor: 'p/244' });
    assert.deepEqual(resumed.entries.map((e) => e.key), keys.slice(245));
  });

  test('errors carry the JSON-RPC code and data', async () => {
    const bad = await db.put('', 1).catch((e) => e);
    assert.ok(bad instanceof InvalidKeyError && bad instanceof Mps3Error);
    assert.equal(bad.code, -32002);
    const badLimit = await db.listPage('', { limit: 0 }).catch((e) => e);
    assert.ok(badLimit instanceof InvalidParamsError);
    assert.equal(badLimit.data.parameter, 'limit');
    await assert.rejects(db.get('k', { store: 'nope' }), UnknownStoreError);
    const tooLarge = await db.put('big', 'x'.repeat(8 * 1024 * 1024 + 1)).catch((e) => e);
    assert.ok(tooLarge instanceof ValueTooLargeError);
    assert.deepEqual(tooLarge.data, { maxValueBytes: 8388608 });
    await assert.rejects(db.request('nope'), MethodNotFoundError);
    assert.ok((await db.put('after', 1)) > 0); // the connection carries on
  });

  test('status, setOnline and flush', async () => {
    assert.equal(await db.setOnline(false), false);
    assert.equal((await db.status()).online, false);
    const timedOut = await db.put('queued', 1, { await: 'remote', timeoutMs: 100 }).catch((e) => e);
    assert.ok(timedOut instanceof OperationTimeoutError);
    assert.equal(timedOut.code, -32004);
    await assert.rejects(db.flush({ timeoutMs: 0 }), OperationTimeoutError);
    assert.equal(await db.setOnline(true), true);
    await db.flush({ timeoutMs: 20_000 });
    assert.equal((await db.status()).queuedWrites, 0);
    await db.flush({ await: 'initial', timeoutMs: 20_000 });
  });

  test('concurrent calls are matched to their answers', async () => {
    await Promise.all(Array.from({ length: 200 }, (_, i) => db.put(`k/${i}`, i)));
    const values = await Promise.all(Array.from({ length: 200 }, (_, i) => db.get(`k/${i}`)));
    assert.deepEqual(values, Array.from({ length: 200 }, (_, i) => i));
  });

  test('the store is chosen per client and per call', async () => {
    const other = new Client({ socket: daemon.socket, store: 'other' });
    try {
      await assert.rejects(other.status(), UnknownStoreError);
      assert.equal((await other.status({ store: 'default' })).store, 'default');
    } finally {
      other.close();
    }
  });

  test('a connection failure names the socket', async () => {
    const path = '/tmp/mps3-no-such-dir/mps3d.sock';
    const failure = await new Client({ socket: path }).status().catch((e) => e);
    assert.ok(failure instanceof Mps3ConnectionError);
    assert.ok(failure.message.includes(path));
    assert.equal(failure.code, null);
  });

  test('the next call reconnects after a restart', async () => {
    const seq = await db.put('kept', 'v');
    await daemon.stop();
    await assert.rejects(db.get('kept'), Mps3ConnectionError);
    await daemon.start();
    assert.equal(await db.get('kept'), 'v');
    assert.equal((await db.status()).lastSeq, seq);
  });
});

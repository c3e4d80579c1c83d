// Subscriptions against a real mps3d: delivery as an async iterator and as events, since, and
// the guarantee that no change is missed across a daemon restart and a `lagged`.
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';

import { ChangesMissedError, Client } from '../index.js';
import { Daemon, sharedDaemon, until } from '../test-support/daemon.js';

/** The next `n` changes of an iterated subscription, failing past `timeoutMs` for one. */
async function take(sub, n, timeoutMs = 30_000) {
  const changes = [];
  while (changes.length < n) {
    const change = await sub.nextChange(timeoutMs);
    assert.ok(change, `no change within ${timeoutMs} ms after ${changes.length}`);
    changes.push(change);
  }
  return changes;
}

const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('subscriptions', () => {
  const shared = sharedDaemon((socket) => new Client({ socket }));
  let daemon;
  let db;
  beforeEach(() => ({ daemon, db } = shared));

  test('an async iterator delivers the matching changes in order', async () => {
    const sub = await db.subscribe({ prefix: 'u/' });
    const first = await db.put('u/ada', { name: 'Ada' });
    await db.put('other/x', 1);
    await db.put('u/nil', null);
    const last = await db.delete('u/ada');
    const [ada, nil, gone] = await take(sub, 3);
    assert.equal(await sub.nextChange(200), undefined);
    sub.close();
    assert.deepEqual(ada, { key: 'u/ada', value: { name: 'Ada' }, deleted: false, seq: first, origin: 'local', version: '' });
    assert.equal(nil.value, null);
    assert.deepEqual([gone.key, gone.deleted, gone.seq], ['u/ada', true, last]);
    assert.equal(sub.seq, first - 1);
    const rest = [];
    for await (const change of sub) rest.push(change); // closed: ends at once
    assert.deepEqual(rest, []);
  });

  test('change events, with since replayed first', async () => {
    const start = await db.put('k', 1);
    await db.put('k', 2);
    const sub = await db.subscribe({ key: 'k', since: start - 1 });
    const values = [];
    sub.on('change', (change) => values.push(change.value));
    await db.put('j', 0);
    await db.put('k', 3);
    await until(() => values.length >= 3, () => `three changes, got ${values}`);
    sub.close();
    assert.deepEqual(values, [1, 2, 3]);
    await assert.rejects(sub.nextChange(), TypeError); // one way to consume it
  });

  test('a since the change log cannot replay is an error, not a gap', async () => {
    await db.put('k', 1);
    const missed = await db.subscribe({ prefix: '', since: 1e9 }).catch((e) => e);
    assert.ok(missed instanceof ChangesMissedError);
    assert.equal(missed.since, 1e9);
    await assert.rejects(db.subscribe({ key: 'k', prefix: '' }), TypeError);
  });

  test('no change is missed when the daemon restarts', async () => {
    const sub = await db.subscribe({ prefix: '', reconnectTimeoutMs: 60_000 });
    const seen = [];
    const consumer = (async () => {
      for await (const change of sub) seen.push(change);
    })();
    for (let i = 0; i < 20; i++) await db.put(`before/${i}`, i);
    await daemon.stop('SIGKILL');
    // While the subscriber cannot reach it, mps3d runs on another socket and takes writes the
    // subscriber can only get from the change log.
    await daemon.start(`${daemon.socket}.away`);
    const away = new Client({ socket: `${daemon.socket}.away` });
    for (let i = 0; i < 20; i++) await away.put(`away/${i}`, i);
    away.close();
    await daemon.stop();
    await daemon.start();
    for (let i = 0; i < 20; i++) await db.put(`after/${i}`, i);
    const last = (await db.status()).lastSeq;
    await until(() => seen.length && seen.at(-1).seq >= last,
      () => `seq ${last}; seen ${seen.map((c) => c.seq)}`);
    sub.close();
    await consumer;
    assert.deepEqual(seen.map((c) => c.seq), range(sub.seq + 1, last));
    assert.deepEqual(seen.map((c) => c.key),
      ['before', 'away', 'after'].flatMap((phase) => range(0, 19).map((i) => `${phase}/${i}`)));
    assert.ok(sub.resubscribes >= 1);
  });

  test('a lagged subscription is recovered without missing a change', async (t) => {
    const own = new Daemon(shared.s3);
    t.after(() => own.dispose());
    await own.start();
    const db = new Client({ socket: own.socket });
    t.after(() => db.close());
    await db.setOnline(false); // the test is about the socket: no uploads
    const sub = await db.subscribe({ prefix: 'lag/' });
    const lagged = [];
    sub.on('lagged', (info) => lagged.push(info));
    const big = 'x'.repeat(2048);
    const ops = range(0, 2999).map((i) => ({ key: `lag/${String(i).padStart(4, '0')}`, value: big }));
    const last = await db.putAll(ops);
    const changes = await take(sub, 3000);
    assert.equal(await sub.nextChange(200), undefined);
    sub.close();
    assert.ok(sub.lagged >= 1 && lagged.length === sub.lagged);
    assert.deepEqual(changes.map((c) => c.seq), range(last - 2999, last));
    assert.deepEqual(changes.map((c) => c.key), ops.map((op) => op.key));
  });
});

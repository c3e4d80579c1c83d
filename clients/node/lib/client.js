// The client: one connection for requests (many in flight, matched by id), one more per
// subscription.
import { Connection, openSocket } from './connection.js';
import { BadResponseError, Mps3ConnectionError } from './errors.js';
import { paramsOf } from './protocol.js';
import { resolveSocketPath } from './socket-path.js';
import { Subscription } from './subscription.js';

/** mps3d's own default deadline for flush and `await: "remote"` (ms). */
const DAEMON_DEFAULT_TIMEOUT_MS = 30_000;
/** How long past mps3d's own deadline the client waits for its timeout answer, as mps3ctl. */
const DEADLINE_MARGIN_MS = 5_000;

const member = (method, result, name, check) => {
  if (!result || typeof result !== 'object' || !check(result[name])) {
    throw new BadResponseError(`mps3d answered ${method} with ${JSON.stringify(result)}`);
  }
  return result[name];
};
const seqOf = (method) => (result) => member(method, result, 'seq', Number.isInteger);
const writeDeadline = (options) =>
  options.await === 'remote' ? (options.timeoutMs ?? DAEMON_DEFAULT_TIMEOUT_MS) : null;

export class Client {
  #connection = null;
  #connecting = null;
  #subscriptions = new Set();

  /**
   * @param {{socket?: string, system?: boolean, store?: string, timeoutMs?: number|null}} [options]
   *   `socket`: mps3d's socket (default: the lookup of resolveSocketPath); `system`: the system
   *   daemon; `store`: the store of every call that names none; `timeoutMs`: how long to wait
   *   for an answer (default 30,000; null: forever).
   */
  constructor({ socket, system = false, store, timeoutMs = 30_000 } = {}) {
    this.path = resolveSocketPath({ socket, system });
    this.store = store;
    this.timeoutMs = timeoutMs;
  }

  /** Opens the connection now (calls do it when needed). */
  async connect() {
    await this.#ensureConnected();
    return this;
  }

  async #ensureConnected() {
    if (this.#connection && !this.#connection.closed) return this.#connection;
    if (!this.#connecting) {
      this.#connecting = openSocket(this.path, this.timeoutMs)
        .then((socket) => (this.#connection = new Connection(socket)))
        .finally(() => (this.#connecting = null));
    }
    return this.#connecting;
  }

  /** Closes the connection (a later call opens a new one; calls in flight fail) and the
   * subscriptions opened through this client. */
  close() {
    this.#connection?.close();
    this.#connection = null;
    for (const subscription of this.#subscriptions) subscription.close();
  }

  /** Sends any method and resolves with its raw result. */
  request(method, params = {}) {
    return this.#call(method, params, (result) => result, null);
  }

  async #call(method, params, decode, deadlineMs) {
    let sending;
    for (let attempt = 1; attempt <= 2; attempt++) {
      const connection = await this.#ensureConnected();
      sending = await connection.send(method, params);
      if (sending.sent) {
        sending.connection = connection;
        break;
      }
      // mps3d closed the connection (a restart) before it could read the line: send it again.
      if (attempt === 2) throw new Mps3ConnectionError(`lost the connection to mps3d at ${this.path}`);
    }
    let wait = this.timeoutMs;
    if (wait != null && deadlineMs != null) wait = Math.max(wait, deadlineMs + DEADLINE_MARGIN_MS);
    let timer;
    const timeout = new Promise((_, reject) => {
      if (wait != null) {
        timer = setTimeout(
          () => reject(new Mps3ConnectionError(`no answer from mps3d within ${wait} ms`)),
          wait,
        );
      }
    });
    try {
      const response = await Promise.race([sending.answer, timeout]);
      if (response.error) throw response.error;
      return decode(response.result);
    } finally {
      clearTimeout(timer);
      sending.connection.forget(sending.id);
    }
  }

  #store(options) {
    return options.store ?? this.store;
  }

  #writeParams(options, named) {
    return paramsOf(this.#store(options), {
      ...named,
      await: options.await,
      timeoutMs: options.timeoutMs,
    });
  }

  /** Writes `value` (any JSON value, null included) at `key`; resolves with the write's seq.
   * `await`: "local" (default) or "remote" (once in the bucket, within `timeoutMs`). */
  async put(key, value, options = {}) {
    const params = this.#writeParams(options, { key });
    if (value === undefined) throw new TypeError('put: value must be a JSON value (null included), not undefined');
    params.value = value;
    return this.#call('put', params, seqOf('put'), writeDeadline(options));
  }

  /** Applies ops ({key, value} or {key, delete: true}) in order, atomically; resolves with the
   * seq of the last change. */
  putAll(ops, options = {}) {
    return this.#call('putAll', this.#writeParams(options, { ops }), seqOf('putAll'), writeDeadline(options));
  }

  /** Deletes `key`; resolves with the seq. */
  delete(key, options = {}) {
    return this.#call('delete', this.#writeParams(options, { key }), seqOf('delete'), writeDeadline(options));
  }

  /** The value of `key`, or undefined when it is absent (a stored null is null). */
  get(key, options = {}) {
    return this.#call('get', paramsOf(this.#store(options), { key }), (result) =>
      member('get', result, 'found', (f) => typeof f === 'boolean') ? result.value : undefined,
    null);
  }

  /** A Map of the keys that exist, with their values, read from one snapshot. */
  getAll(keys, options = {}) {
    return this.#call('getAll', paramsOf(this.#store(options), { keys: [...keys] }), (result) => {
      const found = new Map();
      for (const entry of member('getAll', result, 'entries', Array.isArray)) {
        if (entry?.found === true) found.set(entry.key, entry.value);
      }
      return found;
    }, null);
  }

  /** One page of `list`: {entries: [{key, value}], cursor} (cursor undefined on the last). */
  listPage(prefix = '', options = {}) {
    const params = paramsOf(this.#store(options), { prefix, limit: options.limit, cursor: options.cursor });
    return this.#call('list', params, (result) => ({
      entries: member('list', result, 'entries', Array.isArray),
      cursor: result.cursor,
    }), null);
  }

  /** The keys starting with `prefix` in key order, page after page (`limit` keys a page,
   * 1 to 1000), following the protocol's cursor from `cursor`. */
  async *list(prefix = '', options = {}) {
    let cursor = options.cursor;
    for (;;) {
      const page = await this.listPage(prefix, { ...options, cursor });
      yield page;
      if (page.cursor === undefined) return;
      cursor = page.cursor;
    }
  }

  /** Every {key, value} starting with `prefix`, in key order. */
  async *items(prefix = '', options = {}) {
    for await (const page of this.list(prefix, { ...options, limit: 1000 })) yield* page.entries;
  }

  /** The store's sync status (docs/ipc-protocol.md, `status`). */
  status(options = {}) {
    return this.#call('status', paramsOf(this.#store(options), {}), (result) => {
      member('status', result, 'lastSeq', Number.isInteger);
      return result;
    }, null);
  }

  /** Resolves once every write accepted before is in the bucket (`await: "uploads"`, the
   * default) or the store has read the bucket to the end (`"initial"`), within `timeoutMs`
   * (default 30,000; past it, OperationTimeoutError). */
  async flush(options = {}) {
    const params = paramsOf(this.#store(options), { await: options.await, timeoutMs: options.timeoutMs });
    await this.#call('flush', params, () => undefined, options.timeoutMs ?? DAEMON_DEFAULT_TIMEOUT_MS);
  }

  /** Stops (false) or resumes (true) the store's bucket traffic. */
  setOnline(online, options = {}) {
    return this.#call('setOnline', paramsOf(this.#store(options), { online }), (result) =>
      member('setOnline', result, 'online', (o) => typeof o === 'boolean'), null);
  }

  /**
   * Subscribes to one `key` or every key starting with `prefix`; resolves once mps3d has
   * answered, with a Subscription (async iterator and EventEmitter) that delivers every change
   * after `subscription.seq` (or after `since`) once, in seq order, across daemon restarts and
   * `lagged`. It has a connection of its own.
   * @param {{key?: string, prefix?: string, since?: number, store?: string, reconnectTimeoutMs?: number|null}} options
   */
  async subscribe(options) {
    const subscription = new Subscription(this.path, {
      ...options,
      store: this.#store(options),
      timeoutMs: this.timeoutMs,
    });
    await subscription.open();
    this.#subscriptions.add(subscription);
    subscription.once('close', () => this.#subscriptions.delete(subscription));
    return subscription;
  }
}

/** A Client, connected. */
export async function connect(options) {
  return new Client(options).connect();
}

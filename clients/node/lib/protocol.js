// The sans-io core of the client: request lines, line framing, parsing what mps3d sends, and
// the state of a subscription across reconnects and `lagged`. No I/O here.
import { BadResponseError, ChangesMissedError, errorFromResponse } from './errors.js';

/** Named params without the ones left out (undefined), `store` added when given. */
export function paramsOf(store, named) {
  const params = {};
  for (const [name, value] of Object.entries(named)) {
    if (value !== undefined) params[name] = value;
  }
  if (store !== undefined && store !== null) params.store = store;
  return params;
}

/** Buffers in, complete lines out (`\n`-terminated; a `\r` before it is dropped). */
export class LineSplitter {
  #partial = [];

  /** @param {Buffer} chunk @returns {Buffer[]} */
  feed(chunk) {
    const lines = [];
    let start = 0;
    let newline;
    while ((newline = chunk.indexOf(0x0a, start)) >= 0) {
      this.#partial.push(chunk.subarray(start, newline));
      let line = Buffer.concat(this.#partial);
      this.#partial = [];
      if (line.length && line[line.length - 1] === 0x0d) line = line.subarray(0, -1);
      lines.push(line);
      start = newline + 1;
    }
    if (start < chunk.length) this.#partial.push(chunk.subarray(start));
    return lines;
  }
}

/** Request ids and the lines of one connection. */
export class Codec {
  #nextId = 1;

  /** @returns {{id: number, line: string}} */
  request(method, params) {
    const id = this.#nextId++;
    const message = { jsonrpc: '2.0', id, method };
    if (params && Object.keys(params).length) message.params = params;
    // JSON.stringify escapes newlines inside strings: one message, one line.
    return { id, line: `${JSON.stringify(message)}\n` };
  }

  /** The responses ({id, result} or {id, error}) and notifications ({method, params}) of one
   * line; throws BadResponseError for anything that is not JSON-RPC 2.0. */
  static parse(line) {
    const text = line.toString('utf8');
    if (!text.trim()) return [];
    let message;
    try {
      message = JSON.parse(text);
    } catch (e) {
      throw new BadResponseError(`mps3d sent a line that is not JSON: ${e.message}`);
    }
    return (Array.isArray(message) ? message : [message]).map(Codec.#one);
  }

  static #one(message) {
    if (message === null || typeof message !== 'object' || message.jsonrpc !== '2.0') {
      throw new BadResponseError(`mps3d sent something that is not JSON-RPC 2.0: ${JSON.stringify(message)}`);
    }
    if ('method' in message) {
      const params = message.params ?? {};
      if (typeof message.method !== 'string' || typeof params !== 'object') {
        throw new BadResponseError(`mps3d sent a malformed notification: ${JSON.stringify(message)}`);
      }
      return { method: message.method, params };
    }
    if ('error' in message) return { id: message.id, error: errorFromResponse(message.error) };
    if ('result' in message) return { id: message.id, result: message.result };
    throw new BadResponseError(`mps3d sent a response with no result or error: ${JSON.stringify(message)}`);
  }
}

/** A change from a `changed` notification's params. */
export function changeFrom(params) {
  const deleted = params.deleted === true;
  return {
    key: params.key,
    value: deleted ? undefined : params.value,
    deleted,
    seq: params.seq,
    origin: params.origin ?? '',
    version: params.version ?? '',
  };
}

/**
 * One logical subscription across connections, `lagged` and resubscriptions. `lastSeq` is the
 * seq of the last change delivered (or the store's seq when the first subscription started);
 * every subscribe after the first asks for `since: lastSeq`, and a change at or below it is
 * never delivered twice: each change once, in seq order.
 */
export class SubscriptionState {
  constructor({ key, prefix, since, store }) {
    if ((key === undefined) === (prefix === undefined)) {
      throw new TypeError('give exactly one of key and prefix');
    }
    this.key = key;
    this.prefix = prefix;
    this.store = store;
    this.lastSeq = since ?? null;
    this.startedAt = 0;
    this.subscription = null;
    this.lagged = 0;
    this.resubscribes = 0;
    this.subscribing = false;
    this.resumeAfterAnswer = false;
    this.started = false;
  }

  /** The params of the next subscribe (with `since` once there is a seq to resume after). */
  subscribeParams() {
    if (this.started) this.resubscribes++;
    this.started = true;
    this.subscribing = true;
    this.subscription = null;
    return paramsOf(this.store, {
      key: this.key,
      prefix: this.prefix,
      since: this.lastSeq ?? undefined,
    });
  }

  /** The subscribe's answer: {resubscribe?}. Throws its error, or ChangesMissedError. */
  onResponse(response) {
    if (response.error) throw response.error;
    const r = response.result;
    if (!r || !Number.isInteger(r.subscription) || !Number.isInteger(r.seq)) {
      throw new BadResponseError(`mps3d answered subscribe with ${JSON.stringify(r)}`);
    }
    const askedSince = this.lastSeq;
    if (this.resubscribes === 0) this.startedAt = r.seq;
    this.subscribing = false;
    this.subscription = r.subscription;
    if (this.lastSeq === null) this.lastSeq = r.seq;
    if (r.complete === false) throw new ChangesMissedError(askedSince ?? 0);
    if (this.resumeAfterAnswer) {
      this.resumeAfterAnswer = false;
      return { resubscribe: this.subscribeParams() };
    }
    return {};
  }

  /** A notification: {change?} to deliver, or {resubscribe?} after `lagged`. */
  onNotification({ method, params }) {
    if (!this.subscribing && this.subscription !== null && params.subscription !== this.subscription) {
      return {};
    }
    if (method === 'changed') {
      if (!Number.isInteger(params.seq) || typeof params.key !== 'string') {
        throw new BadResponseError(`mps3d sent a malformed change: ${JSON.stringify(params)}`);
      }
      if (this.lastSeq !== null && params.seq <= this.lastSeq) return {};
      this.lastSeq = params.seq;
      return { change: changeFrom(params) };
    }
    if (method === 'lagged') {
      this.lagged++;
      const last = params.lastSeq;
      if (Number.isInteger(last) && (this.lastSeq === null || last < this.lastSeq)) {
        this.lastSeq = last;
      }
      if (this.subscribing) {
        this.resumeAfterAnswer = true;
        return { lagged: true };
      }
      return { lagged: true, resubscribe: this.subscribeParams() };
    }
    return {};
  }
}

// A subscription: the changes of a key or prefix, as an async iterator or as 'change' events,
// with a connection of its own that it reopens (resubscribing with `since`) when it drops.
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

import { Mps3ConnectionError } from './errors.js';
import { Codec, LineSplitter, SubscriptionState } from './protocol.js';
import { openSocket } from './connection.js';

/** Changes held for a consumer that iterates; past it, reading stops until it catches up (then
 * mps3d ends the subscription with `lagged`, which is recovered from). */
const HIGH_WATER = 1024;
const FIRST_DELAY_MS = 50;
const MAX_DELAY_MS = 1000;

/**
 * Delivers every change after `seq` (or after the `since` it was opened with) exactly once, in
 * increasing seq order: when its connection drops (mps3d restarts) it reconnects and
 * subscribes again with `since: lastSeq`, and when mps3d ends it with `lagged` it does the
 * same; mps3d replays what was missed from its change log. When that log no longer reaches back
 * far enough it fails with ChangesMissedError rather than skip anything; when mps3d cannot be
 * reached again within `reconnectTimeoutMs` (default 30,000; null: forever), with
 * Mps3ConnectionError.
 *
 * Two ways to consume it, one per subscription: `for await (const change of sub)` (reading
 * follows the consumer: one that falls behind gets `lagged` and a replay, never a gap), or
 * `sub.on('change', fn)` (events as they arrive; errors as 'error' events). Events: 'change',
 * 'lagged' ({lastSeq}), 'reconnect' (), 'error' (err), 'close' ().
 */
export class Subscription extends EventEmitter {
  #path;
  #state;
  #timeoutMs;
  #reconnectTimeoutMs;
  #socket = null;
  #codec = null;
  #subscribeId = null;
  #answered = null; // {resolve, reject} of the subscribe being waited for in #openOnce
  #queue = [];
  #waiter = null; // {resolve, reject} of an iterator waiting for a change
  #failure = null;
  #closed = false;
  #mode = null; // 'iterator' or 'events', fixed by the first use
  #reconnecting = false;

  constructor(path, { key, prefix, since, store, timeoutMs = 30_000, reconnectTimeoutMs = 30_000 }) {
    super();
    this.#path = path;
    this.#state = new SubscriptionState({ key, prefix, since, store });
    this.#timeoutMs = timeoutMs;
    this.#reconnectTimeoutMs = reconnectTimeoutMs;
    this.on('newListener', (event) => {
      if (event === 'change') this.#use('events');
    });
  }

  /** The store's seq when the subscription started (changes after it are delivered). */
  get seq() {
    return this.#state.startedAt;
  }

  /** The seq of the last change delivered (`seq` before any). */
  get lastSeq() {
    return this.#state.lastSeq ?? 0;
  }

  /** How many times mps3d ended the subscription with `lagged` (each one recovered). */
  get lagged() {
    return this.#state.lagged;
  }

  /** How many times it subscribed again (after a reconnect or a `lagged`). */
  get resubscribes() {
    return this.#state.resubscribes;
  }

  #use(mode) {
    if (this.#mode && this.#mode !== mode) {
      throw new TypeError('a subscription is consumed either by iterating or by change events, not both');
    }
    if (this.#mode === null && mode === 'events') {
      // Changes that came before the first listener go to it, in order.
      const early = this.#queue.splice(0);
      process.nextTick(() => early.forEach((change) => this.emit('change', change)));
    }
    this.#mode = mode;
  }

  /** Connects and subscribes; resolves once mps3d answered (used by Client.subscribe). */
  async open() {
    await this.#openOnce();
  }

  async #openOnce() {
    const socket = await openSocket(this.#path, this.#timeoutMs);
    if (this.#closed) {
      socket.destroy();
      return;
    }
    this.#socket = socket;
    this.#codec = new Codec();
    const splitter = new LineSplitter();
    const answered = new Promise((resolve, reject) => (this.#answered = { resolve, reject }));
    socket.on('data', (chunk) => {
      try {
        for (const line of splitter.feed(chunk)) {
          for (const message of Codec.parse(line)) this.#handle(message);
        }
      } catch (e) {
        this.#fail(e);
      }
    });
    socket.on('error', () => {}); // 'close' follows and decides
    socket.on('close', () => this.#dropped(socket));
    this.#sendSubscribe(this.#state.subscribeParams());
    let timer;
    try {
      await Promise.race([
        answered,
        new Promise((_, reject) => {
          if (this.#timeoutMs != null) {
            timer = setTimeout(() => reject(new Mps3ConnectionError(`no answer to subscribe within ${this.#timeoutMs} ms`)), this.#timeoutMs);
          }
        }),
      ]);
    } catch (e) {
      if (this.#socket === socket) this.#socket = null; // its 'close' must not reconnect
      socket.destroy();
      throw e;
    } finally {
      clearTimeout(timer);
      this.#answered = null;
    }
  }

  #sendSubscribe(params) {
    const { id, line } = this.#codec.request('subscribe', params);
    this.#subscribeId = id;
    this.#socket.write(line);
  }

  #handle(message) {
    if ('method' in message) {
      const step = this.#state.onNotification(message);
      if (step.lagged) this.emit('lagged', { lastSeq: this.lastSeq });
      if (step.change) this.#deliver(step.change);
      if (step.resubscribe) this.#sendSubscribe(step.resubscribe);
    } else if (message.id === this.#subscribeId) {
      this.#subscribeId = null;
      let step;
      try {
        step = this.#state.onResponse(message);
      } catch (e) {
        if (this.#answered) return this.#answered.reject(e);
        throw e;
      }
      this.#answered?.resolve();
      if (step.resubscribe) this.#sendSubscribe(step.resubscribe);
    } else if (message.id === null && message.error) {
      throw message.error;
    }
  }

  #deliver(change) {
    if (this.#mode === 'events') {
      this.emit('change', change);
      return;
    }
    if (this.#waiter) {
      const waiter = this.#waiter;
      this.#waiter = null;
      waiter.resolve(change);
      return;
    }
    this.#queue.push(change);
    if (this.#queue.length >= HIGH_WATER) this.#socket?.pause();
  }

  #dropped(socket) {
    if (socket !== this.#socket) return;
    this.#socket = null;
    this.#subscribeId = null;
    if (this.#closed || this.#failure || this.#answered) {
      this.#answered?.reject(new Mps3ConnectionError('mps3d closed the connection'));
      return;
    }
    this.#reconnect();
  }

  async #reconnect() {
    if (this.#reconnecting) return;
    this.#reconnecting = true;
    this.emit('reconnect');
    const giveUpAt = this.#reconnectTimeoutMs == null ? Infinity : Date.now() + this.#reconnectTimeoutMs;
    let delay = FIRST_DELAY_MS;
    try {
      for (;;) {
        try {
          await this.#openOnce();
          return;
        } catch (e) {
          if (!(e instanceof Mps3ConnectionError)) return this.#fail(e);
          const left = giveUpAt - Date.now();
          if (left <= 0 || this.#closed) return this.#fail(e);
          await sleep(Math.min(delay, left));
          delay = Math.min(delay * 2, MAX_DELAY_MS);
        }
      }
    } finally {
      this.#reconnecting = false;
    }
  }

  #fail(error) {
    if (this.#closed || this.#failure) return;
    this.#failure = error;
    this.#socket?.destroy();
    if (this.#waiter) {
      const waiter = this.#waiter;
      this.#waiter = null;
      waiter.reject(error);
    } else if (this.#mode === 'events' || this.listenerCount('error') > 0) {
      this.emit('error', error);
    }
  }

  /** The next change, waiting at most `timeoutMs` (undefined: until one comes); undefined
   * when none came in time or the subscription is closed. Iterator mode. */
  async nextChange(timeoutMs) {
    this.#use('iterator');
    if (this.#queue.length) {
      const change = this.#queue.shift();
      if (this.#queue.length < HIGH_WATER / 2) this.#socket?.resume();
      return change;
    }
    if (this.#failure) throw this.#failure;
    if (this.#closed) return undefined;
    if (this.#waiter) throw new TypeError('one nextChange at a time');
    let timer;
    try {
      return await new Promise((resolve, reject) => {
        this.#waiter = { resolve, reject };
        if (timeoutMs != null) {
          timer = setTimeout(() => {
            this.#waiter = null;
            resolve(undefined);
          }, timeoutMs);
        }
      });
    } finally {
      clearTimeout(timer);
    }
  }

  async *[Symbol.asyncIterator]() {
    for (;;) {
      const change = await this.nextChange();
      if (change === undefined) return;
      yield change;
    }
  }

  /** Ends the subscription (closes its connection); iteration stops. */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket?.destroy();
    this.#socket = null;
    if (this.#waiter) {
      const waiter = this.#waiter;
      this.#waiter = null;
      waiter.resolve(undefined);
    }
    this.emit('close');
  }
}

// One connection to mps3d: requests matched to their responses by id.
import { createConnection } from 'node:net';

import { Mps3ConnectionError } from './errors.js';
import { Codec, LineSplitter } from './protocol.js';

/** A connected socket, or Mps3ConnectionError naming the path. */
export function openSocket(path, timeoutMs) {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path });
    const timer =
      timeoutMs == null
        ? null
        : setTimeout(() => {
            socket.destroy();
            reject(new Mps3ConnectionError(`cannot connect to mps3d at ${path}: timed out`));
          }, timeoutMs);
    socket.once('connect', () => {
      if (timer) clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(new Mps3ConnectionError(`cannot connect to mps3d at ${path}: ${e.code ?? e.message} (is mps3d running?)`));
    });
  });
}

/** A request connection: `send` resolves with the response ({id, result} or {id, error}). */
export class Connection {
  #socket;
  #codec = new Codec();
  #pending = new Map();
  closed = false;

  constructor(socket) {
    this.#socket = socket;
    const splitter = new LineSplitter();
    socket.on('data', (chunk) => {
      try {
        for (const line of splitter.feed(chunk)) {
          for (const message of Codec.parse(line)) this.#dispatch(message);
        }
      } catch (e) {
        this.#end(e); // a bad line: this connection cannot be trusted any more
      }
    });
    socket.on('error', (e) => this.#end(new Mps3ConnectionError(`lost the connection to mps3d: ${e.code ?? e.message}`)));
    socket.on('close', () => this.#end(new Mps3ConnectionError('mps3d closed the connection')));
  }

  #dispatch(message) {
    if ('method' in message) return; // subscriptions have connections of their own
    const waiter = this.#pending.get(message.id);
    if (waiter) {
      this.#pending.delete(message.id);
      waiter.resolve(message);
    } else if (message.id === null && message.error) {
      this.#end(message.error); // about this connection (forbidden, too many connections)
    }
  }

  #end(error) {
    if (this.closed) return;
    this.closed = true;
    for (const waiter of this.#pending.values()) waiter.reject(error);
    this.#pending.clear();
    this.#socket.destroy();
  }

  /**
   * Sends a request. Resolves {sent: false} when mps3d had closed the connection before the
   * line could be written (it cannot have read it: safe to send again elsewhere), else
   * {sent: true, answer} where `answer` settles with the response.
   */
  send(method, params) {
    if (this.closed) return Promise.resolve({ sent: false });
    const { id, line } = this.#codec.request(method, params);
    let waiter;
    const answer = new Promise((resolve, reject) => {
      waiter = { resolve, reject };
    });
    answer.catch(() => {}); // handled by whoever awaits it; never an unhandled rejection
    this.#pending.set(id, waiter);
    return new Promise((resolve) => {
      this.#socket.write(line, (error) => {
        if (error && (error.code === 'EPIPE' || error.code === 'ECONNRESET')) {
          this.#pending.delete(id);
          this.#end(new Mps3ConnectionError(`lost the connection to mps3d: ${error.code}`));
          resolve({ sent: false });
        } else {
          resolve({ sent: true, answer, id });
        }
      });
    });
  }

  forget(id) {
    this.#pending.delete(id);
  }

  close() {
    this.#end(new Mps3ConnectionError('the client closed the connection'));
  }
}

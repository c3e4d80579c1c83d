// Types of the mps3d Node.js client (hand-written; the code is index.js and lib/).
import { EventEmitter } from 'node:events';

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface ClientOptions {
  /** mps3d's socket (default: the lookup of resolveSocketPath). */
  socket?: string;
  /** Use the system daemon's socket (/run/mps3/mps3d.sock) in the lookup. */
  system?: boolean;
  /** The store of every call that names none (default: mps3d's first store). */
  store?: string;
  /** How long to wait for an answer, in ms (default 30,000; null: forever). flush and
   * `await: "remote"` writes wait for their own deadline plus 5 s when that is longer. */
  timeoutMs?: number | null;
}

export interface StoreOption {
  /** The store (default: the client's). */
  store?: string;
}

export interface WriteOptions extends StoreOption {
  /** "local" (default: once committed in the local replica) or "remote" (once this write and
   * every earlier one is in the bucket). */
  await?: 'local' | 'remote';
  /** mps3d's deadline for `await: "remote"` (default 30,000 ms); past it,
   * OperationTimeoutError, and the write stays queued. */
  timeoutMs?: number;
}

export type Op = { key: string; value: Json } | { key: string; delete: true };

export interface Entry {
  key: string;
  value: Json;
}

export interface Page {
  entries: Entry[];
  /** The cursor for the next page; undefined on the last page. */
  cursor?: string;
}

export interface ListOptions extends StoreOption {
  /** Keys per page, 1 to 1000 (mps3d's default 100). */
  limit?: number;
  /** Start after this key (a previous page's cursor). */
  cursor?: string;
}

export interface FlushOptions extends StoreOption {
  /** "uploads" (default) or "initial". */
  await?: 'uploads' | 'initial';
  /** mps3d's deadline (default 30,000 ms). */
  timeoutMs?: number;
}

export interface Status {
  store: string;
  online: boolean;
  queuedWrites: number;
  oldestQueued: string | null;
  lastSync: string | null;
  clockOffsetMs: number;
  lastError: string;
  lastErrorKind: 'transient' | 'persistent' | null;
  failedAttempts: number;
  failingSince: string | null;
  nextAttempt: string | null;
  entriesWritten: number;
  lastSeq: number;
  initialSyncDone: boolean;
  /** The store runs in MPS3's versioned mode (its `versioning` setting). */
  versioning: boolean;
  groupCommits: number;
  groupCommittedWrites: number;
  readCacheHits: number;
  readCacheMisses: number;
  readCacheBytes: number;
  syncing: { fetched: number; total: number } | null;
}

export interface Change {
  key: string;
  /** The new value; undefined for a delete. */
  value: Json | undefined;
  deleted: boolean;
  /** The change's seq in the store's change log (increasing, never reused). */
  seq: number;
  /** "local" (written through this mps3d) or "remote" (from the bucket). */
  origin: string;
  /** The content version a remote change made visible ("" for local ones). */
  version: string;
}

export interface SubscribeOptions extends StoreOption {
  /** Watch this one key (exactly one of key and prefix). */
  key?: string;
  /** Watch every key starting with it ("" for all). */
  prefix?: string;
  /** First replay the changes after this seq. */
  since?: number;
  /** How long to keep trying to reach a restarting mps3d, in ms (default 30,000; null:
   * forever). */
  reconnectTimeoutMs?: number | null;
}

export class Client {
  constructor(options?: ClientOptions);
  readonly path: string;
  store: string | undefined;
  timeoutMs: number | null;
  connect(): Promise<this>;
  close(): void;
  request(method: string, params?: Record<string, unknown>): Promise<unknown>;
  put(key: string, value: Json, options?: WriteOptions): Promise<number>;
  putAll(ops: Op[], options?: WriteOptions): Promise<number>;
  delete(key: string, options?: WriteOptions): Promise<number>;
  get(key: string, options?: StoreOption): Promise<Json | undefined>;
  getAll(keys: Iterable<string>, options?: StoreOption): Promise<Map<string, Json>>;
  listPage(prefix?: string, options?: ListOptions): Promise<Page>;
  list(prefix?: string, options?: ListOptions): AsyncGenerator<Page, void, undefined>;
  items(prefix?: string, options?: StoreOption): AsyncGenerator<Entry, void, undefined>;
  status(options?: StoreOption): Promise<Status>;
  flush(options?: FlushOptions): Promise<void>;
  setOnline(online: boolean, options?: StoreOption): Promise<boolean>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
}

export function connect(options?: ClientOptions): Promise<Client>;

export interface SubscriptionEvents {
  change: [change: Change];
  lagged: [info: { lastSeq: number }];
  reconnect: [];
  error: [error: Mps3Error];
  close: [];
}

export class Subscription extends EventEmitter implements AsyncIterable<Change> {
  /** The store's seq when the subscription started. */
  readonly seq: number;
  /** The seq of the last change delivered. */
  readonly lastSeq: number;
  /** How many times mps3d ended it with `lagged` (each recovered). */
  readonly lagged: number;
  /** How many times it subscribed again. */
  readonly resubscribes: number;
  nextChange(timeoutMs?: number): Promise<Change | undefined>;
  [Symbol.asyncIterator](): AsyncIterator<Change>;
  close(): void;
  on<E extends keyof SubscriptionEvents>(event: E, listener: (...args: SubscriptionEvents[E]) => void): this;
  once<E extends keyof SubscriptionEvents>(event: E, listener: (...args: SubscriptionEvents[E]) => void): this;
}

export function resolveSocketPath(options?: {
  socket?: string;
  system?: boolean;
  env?: Record<string, string | undefined>;
  uid?: number;
}): string;
export function configuredSocket(text: string): string | null;

export class Mps3Error extends Error {
  constructor(message: string, code?: number | null, data?: unknown);
  /** The JSON-RPC error code; null for errors that did not come from mps3d. */
  readonly code: number | null;
  /** The error's `data` member (parameter names, S3 diagnostics...). */
  readonly data: unknown;
}
export class ParseError extends Mps3Error {}
export class InvalidRequestError extends Mps3Error {}
export class MethodNotFoundError extends Mps3Error {}
export class InvalidParamsError extends Mps3Error {}
export class InternalError extends Mps3Error {}
export class UnknownStoreError extends Mps3Error {}
export class InvalidKeyError extends Mps3Error {}
export class ValueTooLargeError extends Mps3Error {}
export class OperationTimeoutError extends Mps3Error {}
export class OfflineError extends Mps3Error {}
export class StorageError extends Mps3Error {}
export class NotFoundError extends Mps3Error {}
export class ForbiddenError extends Mps3Error {}
export class Mps3ConnectionError extends Mps3Error {}
export class BadResponseError extends Mps3Error {}
export class ChangesMissedError extends Mps3Error {
  constructor(since: number);
  readonly since: number;
}
export function errorFromResponse(error: unknown): Mps3Error;

// The errors of the mps3d client. Every error mps3d answers is an Mps3Error carrying the
// JSON-RPC `code`, `message` and `data`; each code the protocol documents has a subclass
// (docs/ipc-protocol.md, "Error codes"). Problems on the client's side of the socket are
// Mps3ConnectionError, whose code is null.

export class Mps3Error extends Error {
  /**
   * @param {string} message
   * @param {number|null} [code]
   * @param {unknown} [data]
   */
  constructor(message, code = null, data = undefined) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.data = data;
  }
}

export class ParseError extends Mps3Error {}
export class InvalidRequestError extends Mps3Error {}
export class MethodNotFoundError extends Mps3Error {}
export class InvalidParamsError extends Mps3Error {}
export class InternalError extends Mps3Error {}
export class UnknownStoreError extends Mps3Error {}
export class InvalidKeyError extends Mps3Error {}
export class ValueTooLargeError extends Mps3Error {}
/** mps3d's deadline passed (flush, await "remote"); the writes stay queued. */
export class OperationTimeoutError extends Mps3Error {}
export class OfflineError extends Mps3Error {}
export class StorageError extends Mps3Error {}
export class NotFoundError extends Mps3Error {}
export class ForbiddenError extends Mps3Error {}
/** mps3d cannot be reached, the connection dropped, or no answer came in time. */
export class Mps3ConnectionError extends Mps3Error {}
/** mps3d sent something that is not the JSON-RPC this client understands. */
export class BadResponseError extends Mps3Error {}

/** A subscription cannot prove it delivered every change: mps3d's change log no longer
 * reaches back to `since`. Read the current values and subscribe again. */
export class ChangesMissedError extends Mps3Error {
  /** @param {number} since */
  constructor(since) {
    super(
      `changes after seq ${since} are no longer all in mps3d's change log; ` +
        'read the current values and subscribe again',
    );
    this.since = since;
  }
}

const byCode = new Map([
  [-32700, ParseError],
  [-32600, InvalidRequestError],
  [-32601, MethodNotFoundError],
  [-32602, InvalidParamsError],
  [-32603, InternalError],
  [-32001, UnknownStoreError],
  [-32002, InvalidKeyError],
  [-32003, ValueTooLargeError],
  [-32004, OperationTimeoutError],
  [-32005, OfflineError],
  [-32006, StorageError],
  [-32007, NotFoundError],
  [-32008, ForbiddenError],
]);

/** The error for a response's `error` member (an unknown code gives Mps3Error). */
export function errorFromResponse(error) {
  if (error === null || typeof error !== 'object' || !Number.isInteger(error.code)) {
    return new BadResponseError(`mps3d sent an error that is not JSON-RPC: ${JSON.stringify(error)}`);
  }
  const Type = byCode.get(error.code) ?? Mps3Error;
  const message = typeof error.message === 'string' ? error.message : '';
  return new Type(message, error.code, error.data);
}

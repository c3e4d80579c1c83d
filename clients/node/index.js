// mps3d: the Node.js client of mps3d, the local sync daemon (no dependencies).
//
//   import { Client } from 'mps3d';
//   const db = new Client();                 // the socket is found as mps3ctl finds it
//   await db.put('users/ada', { name: 'Ada' });
//   for await (const change of await db.subscribe({ prefix: 'users/' })) console.log(change);
//
// The protocol: docs/ipc-protocol.md; this client: docs/clients.md.
export { Client, connect } from './lib/client.js';
export { Subscription } from './lib/subscription.js';
export { resolveSocketPath, configuredSocket } from './lib/socket-path.js';
export * from './lib/errors.js';

// Where mps3d's socket is: the same lookup as mps3ctl (daemon/ctl/socket_path.cpp), most
// specific first:
//   1. the `socket` option;
//   2. $MPS3_SOCKET (not with `system`, which asks for the system daemon explicitly);
//   3. `socket` in the [daemon] section of mps3d's configuration file, when the file reads
//      cleanly ($XDG_CONFIG_HOME/mps3/mps3d.conf, i.e. ~/.config/mps3/mps3d.conf, or
//      /etc/mps3/mps3d.conf with `system`);
//   4. mps3d's default: $XDG_RUNTIME_DIR/mps3/mps3d.sock (/tmp/mps3-UID/mps3/mps3d.sock without
//      XDG_RUNTIME_DIR), or /run/mps3/mps3d.sock with `system`.
// A variable that is set but empty counts as unset, as in mps3d.
import { readFileSync } from 'node:fs';

const DAEMON_KEYS = new Set(['socket', 'state_dir', 'log_level', 'offline', 'max_frame_bytes',
  'allowed_uids', 'allowed_gids']);
const STORE_KEYS = new Set(['endpoint', 'region', 'profile', 'bucket', 'manifest', 'replica',
  'poll_interval_ms', 'max_parallel_requests', 'collect_garbage', 'sync']);
const BOOLS = new Set(['true', 'yes', 'on', '1', 'false', 'no', 'off', '0']);
const LOG_LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'off']);

class Unclean extends Error {}

// `a / b` as std::filesystem::path joins them (no normalisation).
const joinPath = (...parts) =>
  parts.reduce((a, b) => (a.endsWith('/') ? a + b : `${a}/${b}`));
const trim = (s) => s.replace(/^[ \t\r]+|[ \t\r]+$/g, '');
const wholeNumber = (v, low, high) => /^[0-9]+$/.test(v) && Number(v) >= low && Number(v) <= high;
const nameChars = (v) => /^[A-Za-z0-9._-]*$/.test(v);

// A value as daemon/ini.cpp reads it: "quoted" with \ escapes, or bare up to # or ;.
function readValue(raw) {
  if (raw.startsWith('"')) {
    let out = '';
    for (let i = 1; i < raw.length; i++) {
      const c = raw[i];
      if (c === '\\' && i + 1 < raw.length) {
        out += raw[++i];
      } else if (c === '"') {
        const rest = trim(raw.slice(i + 1));
        if (rest && rest[0] !== '#' && rest[0] !== ';') throw new Unclean('text after the quote');
        return out;
      } else {
        out += c;
      }
    }
    throw new Unclean('unterminated quoted value');
  }
  const comment = raw.search(/[#;]/);
  return trim(comment < 0 ? raw : raw.slice(0, comment));
}

function checkDaemonEntry(key, value) {
  const ok =
    DAEMON_KEYS.has(key) &&
    (key !== 'offline' || BOOLS.has(value)) &&
    (key !== 'log_level' || LOG_LEVELS.has(value)) &&
    (key !== 'max_frame_bytes' || wholeNumber(value, 1024, 2 ** 30)) &&
    ((key !== 'allowed_uids' && key !== 'allowed_gids') ||
      value
        .split(',')
        .map((id) => id.replace(/^ +| +$/g, ''))
        .every((id) => id === '' || wholeNumber(id, 0, 0xfffffffe)));
  if (!ok) throw new Unclean(`[daemon] ${key}`);
}

function checkStoreEntry(key, value) {
  const ok =
    STORE_KEYS.has(key) &&
    (key !== 'collect_garbage' || BOOLS.has(value)) &&
    (key !== 'sync' || value === 'full' || value === 'normal') &&
    (key !== 'poll_interval_ms' || wholeNumber(value, 10, 3_600_000)) &&
    (key !== 'max_parallel_requests' || wholeNumber(value, 1, 512)) &&
    (key !== 'manifest' || value !== '') &&
    (key !== 'bucket' || (value.length >= 3 && value.length <= 63 && nameChars(value))) &&
    (key !== 'region' || (value !== '' && nameChars(value)));
  if (!ok) throw new Unclean(`[store] ${key}`);
}

/**
 * The `socket` a configuration file's text sets, or null when it sets none. Throws when the
 * text does not read cleanly (then the default path is used). Checked as mps3d checks it,
 * except an `endpoint` URL mps3d would refuse.
 * @param {string} text
 * @returns {string|null}
 */
export function configuredSocket(text) {
  let socket = null;
  let kind = null; // null: before any [section]
  for (const rawLine of text.split('\n')) {
    const line = trim(rawLine);
    if (!line || line[0] === '#' || line[0] === ';') continue;
    if (line[0] === '[') {
      if (!line.endsWith(']')) throw new Unclean("section header must end with ']'");
      const inside = trim(line.slice(1, -1));
      const space = inside.search(/[ \t]/);
      kind = space < 0 ? inside : inside.slice(0, space);
      const name = space < 0 ? '' : readValue(trim(inside.slice(space)));
      if (space >= 0 && !name) throw new Unclean('empty section name');
      if (!kind) throw new Unclean('empty section header');
      if (!(kind === 'daemon' && !name) && kind !== 'store') throw new Unclean(`[${kind}]`);
      if (kind === 'store' && !name) throw new Unclean('a store section needs a name');
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new Unclean("expected 'key = value'");
    const key = trim(line.slice(0, eq));
    if (!key) throw new Unclean("missing key before '='");
    const value = readValue(trim(line.slice(eq + 1)));
    if (kind === null) throw new Unclean('settings must be inside a section');
    if (kind === 'daemon') {
      checkDaemonEntry(key, value);
      if (key === 'socket') socket = value;
    } else {
      checkStoreEntry(key, value);
    }
  }
  return socket;
}

/**
 * The path of mps3d's socket, found as mps3ctl finds it.
 * @param {{socket?: string, system?: boolean, env?: Record<string, string|undefined>, uid?: number}} [options]
 * @returns {string}
 */
export function resolveSocketPath({ socket, system = false, env = process.env, uid } = {}) {
  if (socket) return socket;
  const get = (name, fallback) => (env[name] ? env[name] : fallback);
  if (!system && env.MPS3_SOCKET) return env.MPS3_SOCKET;
  let fallback;
  let configFile;
  if (system) {
    fallback = '/run/mps3/mps3d.sock';
    configFile = '/etc/mps3/mps3d.conf';
  } else {
    const home = get('HOME', '/');
    const runtime = get('XDG_RUNTIME_DIR', `/tmp/mps3-${uid ?? process.getuid()}`);
    fallback = joinPath(runtime, 'mps3', 'mps3d.sock');
    configFile = joinPath(get('XDG_CONFIG_HOME', `${home}/.config`), 'mps3', 'mps3d.conf');
  }
  let text;
  try {
    text = readFileSync(configFile, 'utf8');
  } catch {
    return fallback;
  }
  try {
    return configuredSocket(text) ?? fallback;
  } catch (e) {
    if (e instanceof Unclean) return fallback;
    throw e;
  }
}

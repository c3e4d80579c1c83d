// A JavaScript client of the MPS3 bucket format for the interop tests
// (tests/integration/mps3js_interop_test.cpp), driven through JSON lines on stdin/stdout.
//
// The real MPS3 client (npm `mps3@0.0.81`) cannot be installed here (the registry this project
// reaches answers 404 for it), so this is a stand-in written from ../../../shared/BUCKET_FORMAT.md
// that talks HTTP exactly the way MPS3 0.0.81 does, which is what the interop questions are
// about: requests signed by aws4fetch 1.0.17 (the version MPS3 bundles, `retries: 0`, service
// `s3`, UNSIGNED-PAYLOAD) and sent by the platform's `fetch`; path-style URLs with the key
// percent-encoded by encodeURIComponent; bodies read with `response.text()` and `JSON.parse`,
// so whatever `fetch` does with `Content-Encoding: gzip` is what MPS3 gets. Writes are what
// MPS3 writes: pretty-printed content at `<key>@<uuid>`, one plain (uncompressed) entry per
// putAll carrying the whole state, then the marker `""`.
//
//   node mps3js-driver.mjs ENDPOINT BUCKET MANIFEST      (credentials: AWS_ACCESS_KEY_ID,
//                                                         AWS_SECRET_ACCESS_KEY, AWS_REGION)
//
// One request per line, one answer per line, in order:
//   {"op":"putAll","values":{"k":<JSON>|null,...}}  -> {"ok":true,"entry":"<entry key>"}
//   {"op":"get","key":"k"}                          -> {"ok":true,"found":bool,"value":<JSON>}
//   {"op":"waitFor","key":"k","value":<JSON>|null,"timeoutMs":N}
//        reads the state every 50 ms until the key holds that value (null: absent), or the
//        deadline passes      -> {"ok":true,"matched":bool,"found":bool,"value":<JSON>}
//   {"op":"snapshot"}  -> {"ok":true,"values":{...every key...},
//                          "entries":[{"key":..,"contentEncoding":..,"valid":bool},...]}
// A failure answers {"ok":false,"error":"..."}; the driver goes on with the next line, and
// exits at the end of its input (the tests give it all at once).
import { AwsClient } from "aws4fetch";
import { randomUUID, webcrypto } from "node:crypto";
import { createInterface } from "node:readline";

// aws4fetch signs with the global Web Crypto (a browser's; Node has it global from 19 on).
if (!globalThis.crypto) globalThis.crypto = webcrypto;

const [endpoint, bucket, manifest] = process.argv.slice(2);
if (!endpoint || !bucket || !manifest) {
  process.stderr.write("usage: node mps3js-driver.mjs ENDPOINT BUCKET MANIFEST\n");
  process.exit(2);
}

const aws = new AwsClient({
  accessKeyId: process.env.AWS_ACCESS_KEY_ID,
  secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
  region: process.env.AWS_REGION || "us-east-1",
  service: "s3",
  retries: 0,
});

const url = (key, query = "") =>
  `${endpoint}/${bucket}${key === undefined ? "" : `/${encodeURIComponent(key)}`}${query}`;

async function ensureOk(response, what) {
  if (response.status !== 200) {
    throw new Error(`${what}: HTTP ${response.status} ${await response.text()}`);
  }
  return response;
}

// ---- Section 3: entry keys ----------------------------------------------------------------------
const MAX_TS = 2 ** 42 - 1;
const b32 = (n, width) => n.toString(32).padStart(width, "0");
const ts9 = (t) => b32(MAX_TS - t, 9);
const entryKeyPattern = /@([0-9a-z]+)_[0-9a-z]+_[0-9a-z]{2}$/;
const tsOfKey = (key) => {
  const m = entryKeyPattern.exec(key);
  return m ? MAX_TS - parseInt(m[1], 32) : undefined;
};
const session = randomUUID().substring(0, 3);
let counter = 0;

// ---- LIST (ListObjectsV2, every page) ----------------------------------------------------------
const xmlText = (s) =>
  s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, "&");
const tag = (xml, name) => {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return m ? xmlText(m[1]) : undefined;
};

async function listEntries() {
  const prefix = `${manifest}@`;
  const startAfter = `${prefix}${ts9(Date.now() + 10000)}`;
  const out = [];
  let token;
  do {
    let query = `/?list-type=2&prefix=${encodeURIComponent(prefix)}` +
      `&start-after=${encodeURIComponent(startAfter)}`;
    if (token) query += `&continuation-token=${encodeURIComponent(token)}`;
    const response = await ensureOk(await aws.fetch(url(undefined, query)), "LIST");
    const xml = await response.text();
    for (const m of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
      out.push({ key: tag(m[1], "Key"), lastModified: Date.parse(tag(m[1], "LastModified")) });
    }
    token = tag(xml, "IsTruncated") === "true" ? tag(xml, "NextContinuationToken") : undefined;
  } while (token);
  return out;
}

// ---- GET, as MPS3's S3ClientLite.getObject: text(), then JSON.parse --------------------------
async function getJson(key) {
  const response = await aws.fetch(url(key), { method: "GET" });
  if (response.status === 404) return { found: false };
  await ensureOk(response, `GET ${key}`);
  const contentEncoding = response.headers.get("content-encoding") || "";
  const text = await response.text();
  return { found: true, value: JSON.parse(text), contentEncoding };
}

async function put(key, body) {
  const response = await aws.fetch(url(key), {
    method: "PUT",
    body,
    headers: { "Content-Type": "application/json" },
  });
  return ensureOk(response, `PUT ${key}`);
}

// ---- Section 6: the state -----------------------------------------------------------------------
function mergePatch(target, patch) {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out = target !== null && typeof target === "object" && !Array.isArray(target)
    ? { ...target }
    : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

async function readState() {
  const listed = await listEntries();
  const entries = listed
    .map((e) => ({ ...e, ts: tsOfKey(e.key) }))
    .map((e) => ({
      ...e,
      valid: e.ts !== undefined && Math.abs(e.ts - e.lastModified) < 5000,
    }));
  const valid = entries.filter((e) => e.valid).sort((x, y) => (x.key < y.key ? -1 : 1));
  const bodies = new Map();
  const encodings = new Map();
  for (const e of valid) {
    const got = await getJson(e.key);
    if (got.found) {
      bodies.set(e.key, got.value);
      encodings.set(e.key, got.contentEncoding);
    }
  }
  const readable = valid.filter((e) => bodies.has(e.key));
  let state = { files: {} };
  if (readable.length > 0) {
    const latest = readable[0];
    state = { files: { ...(bodies.get(latest.key).files || {}) } };
    const replay = readable.filter((e) => e.ts > latest.ts - 5000).reverse();
    for (const e of replay) {
      state = mergePatch(state, bodies.get(e.key).update || {});
    }
  }
  const report = entries.map((e) => ({
    key: e.key,
    valid: e.valid,
    contentEncoding: encodings.get(e.key) ?? null,
  }));
  return { files: state.files || {}, entries: report, newest: readable[0]?.ts };
}

async function valueOf(files, key) {
  const file = files[`${bucket}/${key}`];
  if (!file) return { found: false };
  const got = await getJson(`${key}@${file.version}`);
  return got.found ? { found: true, value: got.value } : { found: false };
}

// ---- Section 7: a write --------------------------------------------------------------------------
async function putAll(values) {
  const update = {};
  await Promise.all(
    Object.entries(values).map(async ([key, value]) => {
      const ref = `${bucket}/${key}`;
      if (value === null) {
        update[ref] = null;
        return;
      }
      const version = randomUUID();
      await put(`${key}@${version}`, JSON.stringify(value, null, 2));
      update[ref] = { version, replication: "" };
    }),
  );
  const state = await readState();
  const t = Math.max(Date.now(), (state.newest ?? 0) + 1);
  if (counter >= 1024) throw new Error("session counter exhausted");
  const entryKey = `${manifest}@${ts9(t)}_${session}_${b32(1023 - counter++, 2)}`;
  await put(entryKey, JSON.stringify({ files: state.files, update: { files: update } }, null, 2));
  await put(manifest, '""');
  return { entry: entryKey };
}

// JSON text with object members sorted: equal values, equal texts.
function canonical(v) {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  const members = Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`);
  return `{${members.join(",")}}`;
}

// ---- The command loop ---------------------------------------------------------------------------
async function handle(request) {
  switch (request.op) {
    case "putAll":
      return putAll(request.values);
    case "get": {
      const state = await readState();
      return valueOf(state.files, request.key);
    }
    case "waitFor": {
      const until = Date.now() + (request.timeoutMs ?? 30000);
      const wanted = canonical(request.value ?? null);
      for (;;) {
        const got = await valueOf((await readState()).files, request.key);
        const matched = canonical(got.found ? got.value : null) === wanted;
        if (matched || Date.now() >= until) return { matched, ...got };
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    case "snapshot": {
      const state = await readState();
      const values = {};
      for (const ref of Object.keys(state.files).sort()) {  // a stable order for the tests
        const key = ref.substring(ref.indexOf("/") + 1);
        const got = await valueOf(state.files, key);
        if (got.found) values[key] = got.value;
      }
      return { values, entries: state.entries };
    }
    default:
      throw new Error(`unknown op ${JSON.stringify(request.op)}`);
  }
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (line.trim() === "") continue;
  let answer;
  try {
    answer = { ok: true, ...(await handle(JSON.parse(line))) };
  } catch (e) {
    answer = { ok: false, error: String(e?.stack || e) };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}

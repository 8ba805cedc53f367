'use strict';
// The ceiling's statements come from the service itself: a PostgreSQL wire-protocol proxy sits
// between a second service instance and PostgreSQL and, while recording, keeps each frontend
// Parse/Bind (extended protocol) and Query (simple protocol) message with its parameters. The
// replay then sends exactly those statements from a plain `pg` pool, with fresh parameter values.
const net = require('node:net');
const { summarise } = require('./lib');

const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;

/** Splits a frontend byte stream into messages; the first ones (startup, SSL request) have no type byte. */
class FrontendParser {
  constructor(onMessage) {
    this.buf = Buffer.alloc(0);
    this.started = false;
    this.onMessage = onMessage;
  }
  push(chunk) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      if (!this.started) {
        if (this.buf.length < 8) return;
        const len = this.buf.readInt32BE(0);
        if (this.buf.length < len) return;
        const code = this.buf.readInt32BE(4);
        if (code !== SSL_REQUEST && code !== CANCEL_REQUEST) this.started = true;
        this.buf = this.buf.subarray(len);
        continue;
      }
      if (this.buf.length < 5) return;
      const len = this.buf.readInt32BE(1);
      if (this.buf.length < len + 1) return;
      this.onMessage(String.fromCharCode(this.buf[0]), this.buf.subarray(5, len + 1));
      this.buf = this.buf.subarray(len + 1);
    }
  }
}

function cstring(b, at) {
  const end = b.indexOf(0, at);
  return [b.toString('utf8', at, end), end + 1];
}

/** Parse: name, query text, parameter type OIDs. */
function parseParse(body) {
  const [name, a] = cstring(body, 0);
  const [text, b] = cstring(body, a);
  const n = body.readInt16BE(b);
  const types = [];
  for (let i = 0; i < n; i++) types.push(body.readInt32BE(b + 2 + 4 * i));
  return { name, text, types };
}

/** Bind: portal, statement name, parameter values (string in text format, Buffer in binary, null). */
function parseBind(body) {
  const [portal, a] = cstring(body, 0);
  const [statement, b] = cstring(body, a);
  let at = b;
  const nFormats = body.readInt16BE(at);
  at += 2;
  const formats = [];
  for (let i = 0; i < nFormats; i++, at += 2) formats.push(body.readInt16BE(at));
  const n = body.readInt16BE(at);
  at += 2;
  const values = [];
  for (let i = 0; i < n; i++) {
    const len = body.readInt32BE(at);
    at += 4;
    if (len === -1) {
      values.push(null);
      continue;
    }
    const binary = (nFormats === 1 ? formats[0] : formats[i]) === 1;
    const raw = body.subarray(at, at + len);
    values.push(binary ? Buffer.from(raw) : raw.toString('utf8'));
    at += len;
  }
  return { portal, statement, values };
}

/**
 * A TCP proxy in front of PostgreSQL. `record()` starts keeping statements (every connection),
 * `stop()` returns them in arrival order: {conn, text, name, values} (values undefined for a
 * simple-protocol Query).
 */
function captureProxy(pgHost, pgPort) {
  let recording = null;
  let connSeq = 0;
  const server = net.createServer((client) => {
    const conn = ++connSeq;
    const prepared = new Map(); // statement name → text, per connection (named statements are parsed once)
    const upstream = net.connect(pgPort, pgHost);
    const parser = new FrontendParser((type, body) => {
      if (type === 'P') {
        const p = parseParse(body);
        prepared.set(p.name, p.text);
      } else if (type === 'B' && recording) {
        const b = parseBind(body);
        recording.push({ conn, text: prepared.get(b.statement), name: b.statement || undefined, values: b.values });
      } else if (type === 'Q' && recording) {
        recording.push({ conn, text: cstring(body, 0)[0] });
      }
    });
    client.on('data', (d) => {
      parser.push(d);
      upstream.write(d);
    });
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        record: () => (recording = []),
        stop: () => {
          const r = recording;
          recording = null;
          return r;
        },
        close: () => server.close(),
      }),
    ),
  );
}

/**
 * Rewrites one parameter value: `{exact, to}` entries replace a value equal to `exact` (short values
 * such as a version number), `[from, to]` pairs every occurrence of `from` (ids, NHS numbers,
 * identifiers). Buffers (binary parameters) stay as they are.
 */
function substitute(value, pairs) {
  if (typeof value !== 'string') return value;
  for (const p of pairs) if (!Array.isArray(p) && value === p.exact) return p.to;
  let v = value;
  for (const p of pairs) if (Array.isArray(p) && p[0] && v.includes(p[0])) v = v.split(p[0]).join(p[1]);
  return v;
}

/**
 * Sends a workload's captured statements from a plain `pg` pool at `connections` concurrency for
 * `seconds`: each "request" is a captured sequence (`plan(i)` → {statements, pairs, after}) in
 * order on one pooled client, with the parameters rewritten by its pairs (fresh ids for creates,
 * random existing ids or patients for reads). A write statement that changes no row counts as an error (a replay that lost its target
 * would measure less work than the service does). Statements the service named are prepared once
 * per connection here too. The pool stays open (its backends' CPU is read after the run).
 */
async function replay({ pool, connections, seconds, plan }) {
  const latencies = [];
  let errors = 0;
  let firstError = null;
  const deadline = Date.now() + seconds * 1000;
  let seq = 0;
  const worker = async () => {
    const client = await pool.connect();
    try {
      while (Date.now() < deadline) {
        const i = seq++;
        const { statements, pairs, after } = plan(i);
        const t0 = process.hrtime.bigint();
        let failed = false;
        try {
          for (const s of statements) {
            // Values inlined in the text (a simple-protocol batch, an unnamed statement) are rewritten too.
            const text = s.name ? s.text : substitute(s.text, pairs);
            const r =
              s.values === undefined
                ? await client.query(text)
                : await client.query({
                    text,
                    values: s.values.map((v) => substitute(v, pairs)),
                    name: s.name && `bench_${s.name}`,
                  });
            const rows = Array.isArray(r) ? r[r.length - 1] : r;
            if (/^(INSERT|UPDATE|DELETE)$/.test(rows.command) && rows.rowCount === 0)
              throw new Error(`no row changed: ${s.text.slice(0, 80)}`);
          }
        } catch (e) {
          failed = true;
          firstError ??= e.message;
          await client.query('ROLLBACK').catch(() => {});
        }
        if (failed) errors++;
        else {
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          if (after) after();
        }
      }
    } finally {
      client.release();
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  return { ...summarise(latencies, seconds), errors, firstError };
}

module.exports = { FrontendParser, parseBind, parseParse, captureProxy, replay, substitute };

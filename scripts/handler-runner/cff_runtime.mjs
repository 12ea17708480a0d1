// A local stand-in for the CloudFront Functions runtime `cloudfront-js-2.0`: loads a function's code
// with `import cf from 'cloudfront'` (whose `kvs()` serves a given key-value store) and
// `import crypto from 'crypto'`, and refuses what the runtime does not provide (eval, timers,
// network, file system). Used by the AWS emulator's TestFunction, `ldedge invoke`, the bucketing
// proof and the benchmark.
//
// As a program it reads one JSON document on stdin, {"code", "event", "kvs": {key: value}}, and
// prints {"output", "error", "logs", "computeUtilization"} (TestFunction's answer).
import crypto from 'node:crypto';

const FORBIDDEN = [
  [/\beval\s*\(/, 'eval is not available in cloudfront-js-2.0'],
  [/\bnew\s+Function\s*\(/, 'the Function constructor is not available in cloudfront-js-2.0'],
  [/\b(setTimeout|setInterval|setImmediate)\s*\(/, 'timers are not available in cloudfront-js-2.0'],
  [/\b(fetch|XMLHttpRequest|WebSocket)\b/, 'network access is not available in cloudfront-js-2.0'],
  [/\brequire\s*\(/, 'require is not available in cloudfront-js-2.0 (use import)'],
  [/\bprocess\./, 'process is not available in cloudfront-js-2.0'],
];
const IMPORT = /^\s*import\s+([A-Za-z_$][\w$]*)\s+from\s+['"]([^'"]+)['"]\s*;?\s*$/gm;
export const MAX_CODE_BYTES = 10240;

/// The problems that keep `code` from running in cloudfront-js-2.0, as messages.
export function check(code) {
  const problems = [];
  const size = Buffer.byteLength(code, 'utf8');
  if (size > MAX_CODE_BYTES) problems.push(`the function code is ${size} bytes; CloudFront Functions allow at most ${MAX_CODE_BYTES}`);
  for (const [pattern, message] of FORBIDDEN) if (pattern.test(code)) problems.push(message);
  for (const match of code.matchAll(IMPORT)) {
    if (match[2] !== 'cloudfront' && match[2] !== 'crypto') problems.push(`module '${match[2]}' is not available in cloudfront-js-2.0`);
  }
  if (!/\bfunction\s+handler\s*\(/.test(code)) problems.push('the code defines no function named handler');
  return problems;
}

/// A `cloudfront` module whose kvs() reads `store` (an object of string values, or a function key -> value|undefined).
export function cloudfrontModule(store) {
  const read = typeof store === 'function' ? store : (key) => (Object.prototype.hasOwnProperty.call(store, key) ? store[key] : undefined);
  const handle = {
    async get(key, options) {
      const value = read(key);
      if (value === undefined) throw new Error(`KeyNotFound: ${key}`);
      const format = (options && options.format) || 'string';
      if (format === 'json') return JSON.parse(value);
      if (format === 'bytes') return new TextEncoder().encode(value);
      return value;
    },
    async exists(key) { return read(key) !== undefined; },
    async meta() {
      const keys = typeof store === 'function' ? [] : Object.keys(store);
      return { creationDateTime: new Date(0).toISOString(), lastUpdatedDateTime: new Date(0).toISOString(), keyCount: keys.length };
    },
  };
  return { kvs: () => handle };
}

/// Compiles `code` and returns its handler, with `cf` serving `store`. Throws when check() finds problems.
export function load(code, store) {
  const problems = check(code);
  if (problems.length) throw new Error(problems.join('; '));
  const names = [];
  const values = [];
  const body = code.replace(IMPORT, (_, name, module) => {
    names.push(name);
    values.push(module === 'cloudfront' ? cloudfrontModule(store) : crypto);
    return '';
  });
  // eslint-disable-next-line no-new-func -- this harness, not the function, compiles the code
  const factory = new Function(...names, `"use strict";\n${body}\n;return handler;`);
  return factory(...values);
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const logs = [];
  const original = console.log;
  console.log = (...args) => logs.push(args.map(String).join(' '));
  const answer = { output: null, error: null, logs, computeUtilization: '0' };
  try {
    const handler = load(input.code, input.kvs || {});
    const start = process.hrtime.bigint();
    const output = await handler(input.event);
    const micros = Number(process.hrtime.bigint() - start) / 1000;
    answer.output = output;
    // ComputeUtilization: percent of the ~1 ms budget.
    answer.computeUtilization = String(Math.min(100, Math.max(1, Math.round(micros / 10))));
  } catch (error) {
    answer.error = String(error && error.message ? error.message : error);
  }
  console.log = original;
  process.stdout.write(JSON.stringify(answer));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main();
}

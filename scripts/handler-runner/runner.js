#!/usr/bin/env node
'use strict';
// A local Lambda-like runner for a packaged Node.js handler; the same line protocol as
// runner.py: {"type":"ready"} after loading, then one {"event":...} in and one result out per line.
// The handler's console output goes to stderr, never into the protocol.

const path = require('path');
const readline = require('readline');

function option(name, fallback) {
  const index = process.argv.indexOf('--' + name);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

const dir = option('dir');
const handlerName = option('handler', 'index.handler');
const timeout = Number(option('timeout', '5'));
const out = process.stdout.write.bind(process.stdout);
const send = (message) => out(JSON.stringify(message) + '\n');
console.log = console.error;
console.info = console.error;

const dot = handlerName.lastIndexOf('.');
const started = process.hrtime.bigint();
let fn;
try {
  process.chdir(dir);
  fn = require(path.join(dir, handlerName.slice(0, dot)))[handlerName.slice(dot + 1)];
} catch (error) {
  send({ type: 'error', error: String(error && error.stack || error) });
  process.exit(1);
}
send({ type: 'ready', initMs: Number(process.hrtime.bigint() - started) / 1e6 });

const context = { functionName: 'ldedge-handler', functionVersion: '1', memoryLimitInMB: '128' };
const queue = [];
let busy = false;

async function drain() {
  if (busy) return;
  busy = true;
  while (queue.length) {
    const event = queue.shift();
    const begin = process.hrtime.bigint();
    try {
      const response = await new Promise((resolve, reject) => {
        const result = fn(event, context, (error, value) => (error ? reject(error) : resolve(value)));
        if (result && typeof result.then === 'function') result.then(resolve, reject);
      });
      const durationMs = Number(process.hrtime.bigint() - begin) / 1e6;
      send({ type: 'result', response, durationMs, timedOut: durationMs > timeout * 1000 });
    } catch (error) {
      send({ type: 'error', error: String(error && error.stack || error), durationMs: Number(process.hrtime.bigint() - begin) / 1e6 });
    }
  }
  busy = false;
}

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (!line.trim()) return;
  queue.push(JSON.parse(line).event);
  drain();
});
lines.on('close', async () => {
  while (busy || queue.length) await new Promise((resolve) => setTimeout(resolve, 5));
  process.exit(0);
});

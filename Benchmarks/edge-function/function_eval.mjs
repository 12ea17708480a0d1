// Per-request evaluation time of the deployed CloudFront Function in Node.js, store read included:
// the LIVE code and the store's keys (as `ldedge invoke` reads them) on N viewer requests from
// distinct client IPs, each timed alone. Input: {"code", "kvs", "requests": N}. Prints JSON.
import fs from 'node:fs';
import { load } from '../../scripts/handler-runner/cff_runtime.mjs';

const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const handler = load(input.code, input.kvs);
const times = [];
let newSite = 0;
for (let i = 0; i < input.requests; i++) {
  const event = { version: '1.0', context: { eventType: 'viewer-request' },
    viewer: { ip: `${1 + (i % 223)}.${(i >> 8) & 255}.${i & 255}.${1 + ((i >> 16) % 254)}` },
    request: { method: 'GET', uri: '/site/index.html', querystring: {}, headers: {}, cookies: {} } };
  const start = process.hrtime.bigint();
  const response = await handler(event);
  times.push(Number(process.hrtime.bigint() - start) / 1e6);
  if (response.statusCode === 302) newSite++;
}
times.sort((a, b) => a - b);
const pick = (q) => times[Math.min(times.length - 1, Math.floor(times.length * q))];
process.stdout.write(JSON.stringify({ requests: times.length, p50Ms: pick(0.5), p99Ms: pick(0.99), newShare: newSite / times.length,
  codeBytes: Buffer.byteLength(input.code, 'utf8') }));

// `ldedge invoke` on the edge-function target: runs a deployed CloudFront Function's code (as
// GetFunction LIVE returned it) on many viewer requests, with `cf.kvs()` serving the store's keys
// (as ListKeys returned them), in one Node.js process.
// Input (stdin): {"code", "kvs": {key: value}, "events": [CloudFront Functions event, ...]}.
// Output: {"responses": [...], "durationsMs": [...]} (per event, in order).
import { load } from './cff_runtime.mjs';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const handler = load(input.code, input.kvs || {});
const responses = [];
const durationsMs = [];
for (const event of input.events) {
  const start = process.hrtime.bigint();
  let response;
  try {
    response = await handler(event);
  } catch (error) {
    response = { error: String(error && error.message ? error.message : error) };
  }
  durationsMs.push(Number(process.hrtime.bigint() - start) / 1e6);
  responses.push(response);
}
process.stdout.write(JSON.stringify({ responses, durationsMs }));

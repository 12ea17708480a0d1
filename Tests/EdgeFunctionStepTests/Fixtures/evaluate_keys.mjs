// Runs the real CloudFront Function code over many visitors: for each case (one KeyValueStore
// record) and each key (the visitor's IP), whether the function sends the visitor to the new site.
// Input: a JSON file {"code", "recordKey", "keys": [...], "cases": [{"record": "..."}]}.
// Output (stdout): {"results": ["0110...", ...], "evaluations": N, "micros": total}.
import fs from 'node:fs';
import { load } from '../../../scripts/handler-runner/cff_runtime.mjs';

const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const results = [];
let evaluations = 0;
const start = process.hrtime.bigint();
for (const testCase of input.cases) {
  const store = testCase.record === null ? {} : { [input.recordKey]: testCase.record };
  const handler = load(input.code, store);
  const bits = new Array(input.keys.length);
  for (let i = 0; i < input.keys.length; i++) {
    const event = { version: '1.0', context: { eventType: 'viewer-request' }, viewer: { ip: input.keys[i] },
      request: { method: 'GET', uri: '/site/index.html', querystring: {}, headers: {}, cookies: {} } };
    const response = await handler(event);
    bits[i] = response.statusCode === 302 ? '1' : '0';
  }
  evaluations += input.keys.length;
  results.push(bits.join(''));
}
const micros = Number(process.hrtime.bigint() - start) / 1000;
process.stdout.write(JSON.stringify({ results, evaluations, micros }));

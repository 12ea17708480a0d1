// The function with no record, an unreadable record and a record of the wrong shape, and a store
// whose read fails: every visitor goes on unchanged (the old site), never an error.
import fs from 'node:fs';
import { load, check } from '../../../scripts/handler-runner/cff_runtime.mjs';

const code = fs.readFileSync(new URL('../../../templates/edge-function/viewer-request.js', import.meta.url), 'utf8');
const stores = {
  missing: {},
  unreadable: { rebrand: '{not json' },
  wrongShape: { rebrand: '{"v":1,"on":true}' },
  failingRead: () => { throw new Error('store unavailable'); },
};
const results = {};
for (const [name, store] of Object.entries(stores)) {
  const handler = load(code, store);
  let unchanged = 0;
  for (let i = 0; i < 100; i++) {
    const event = { viewer: { ip: `192.0.2.${i}` }, request: { method: 'GET', uri: '/site/index.html', querystring: {}, headers: {}, cookies: {} } };
    const response = await handler(event);
    if (response.uri === '/site/index.html' && response.statusCode === undefined) unchanged++;
  }
  results[name] = unchanged;
}
process.stdout.write(JSON.stringify({ results, problems: check(code), bytes: Buffer.byteLength(code) }));

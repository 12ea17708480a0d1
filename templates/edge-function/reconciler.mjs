// ldedge's flag reconciler as a scheduled Lambda (nodejs20.x, no dependencies): on every
// EventBridge tick it reads the SDK key from Secrets Manager, the flags from LaunchDarkly's SDK
// polling endpoint, and writes each flag's compact record to the edge-function KeyValueStore when
// it differs, exactly as `ldedge sync` does (the same record, byte for byte; If-Match on the
// store's ETag). The KeyValueStore data plane needs SigV4A, done here with node:crypto (ECDSA P-256
// with the key derived as awscrt derives it); Secrets Manager takes SigV4.
// config.json beside this file: {"storeArn", "flags": [...], "secretArn", "sdkBaseUri", "region"}.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';

// ---------------------------------------------------------------- the record (FlagRecord in Swift)

function canonical(value) {
  if (Array.isArray(value)) return '[' + value.map(canonical).join(',') + ']';
  if (value && typeof value === 'object') {
    return '{' + Object.keys(value).sort().map((key) => JSON.stringify(key) + ':' + canonical(value[key])).join(',') + '}';
  }
  return JSON.stringify(value);
}

const isInt = (value) => typeof value === 'number' && Number.isInteger(value);

/// Why the record cannot express this flag (empty: it can).
export function unsupported(flag) {
  const reasons = [];
  const nonEmpty = (key) => Array.isArray(flag[key]) && flag[key].length > 0;
  if (nonEmpty('rules')) reasons.push('targeting rules');
  if (nonEmpty('targets') || nonEmpty('contextTargets')) reasons.push('individual targets');
  if (nonEmpty('prerequisites')) reasons.push('prerequisites');
  if (flag.on === true) {
    const fall = flag.fallthrough || {};
    if (!isInt(fall.variation)) {
      const rollout = fall.rollout;
      if (rollout && Array.isArray(rollout.variations) && rollout.variations.length) {
        const bucketBy = rollout.bucketBy;
        if (rollout.kind !== 'experiment' && typeof bucketBy === 'string' && bucketBy !== 'key' && bucketBy !== '/key') {
          reasons.push(`a rollout bucketed by '${bucketBy}' (the function buckets by the context key)`);
        }
        if (rollout.variations.some((w) => !isInt(w.variation) || !isInt(w.weight))) reasons.push('a rollout without variation indices and weights');
      } else {
        reasons.push('a fallthrough with neither a variation nor a rollout');
      }
    }
  }
  return reasons;
}

/// The record's JSON text (null when the record cannot express the flag or exceeds 1 KB).
export function makeRecord(flag) {
  if (unsupported(flag).length) return null;
  const parts = [`"v":${isInt(flag.version) ? flag.version : 0}`, `"on":${flag.on === true}`,
    `"off":${isInt(flag.offVariation) ? flag.offVariation : 'null'}`, `"vals":${canonical(flag.variations || [])}`];
  const fall = flag.fallthrough || {};
  if (isInt(fall.variation)) {
    parts.push(`"fall":${fall.variation}`);
  } else if (fall.rollout) {
    const r = [`"salt":${JSON.stringify(typeof flag.salt === 'string' ? flag.salt : '')}`];
    if (isInt(fall.rollout.seed)) r.push(`"seed":${fall.rollout.seed}`);
    if (typeof fall.rollout.contextKind === 'string' && fall.rollout.contextKind) r.push(`"kind":${JSON.stringify(fall.rollout.contextKind)}`);
    r.push(`"w":[${(fall.rollout.variations || []).map((w) => `[${w.variation},${w.weight}]`).join(',')}]`);
    parts.push(`"r":{${r.join(',')}}`);
  }
  const record = `{${parts.join(',')}}`;
  return Buffer.byteLength(record) <= 1024 ? record : null;
}

// ---------------------------------------------------------------- signing

const sha256 = (data) => crypto.createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest();
const encode = (text) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
const amzDate = (now) => now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

function canonicalRequest(method, url, headers, body) {
  // Non-S3 services: the path (already encoded once) is encoded a second time.
  const path = url.pathname.split('/').map(encode).join('/') || '/';
  const query = [...url.searchParams.entries()].map(([k, v]) => [encode(k), encode(v)]).sort()
    .map(([k, v]) => `${k}=${v}`).join('&');
  const names = Object.keys(headers).map((n) => n.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(headers).map(([n, v]) => [n.toLowerCase(), String(v).trim().replace(/\s+/g, ' ')]));
  const lines = names.map((n) => `${n}:${lower[n]}\n`).join('');
  return { text: [method, path, query, lines, names.join(';'), sha256(body)].join('\n'), signed: names.join(';') };
}

function sigv4(method, url, headers, body, service, region, credentials, now = new Date()) {
  const date = amzDate(now);
  headers['x-amz-date'] = date;
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const { text, signed } = canonicalRequest(method, url, headers, body);
  const scope = `${date.slice(0, 8)}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', date, scope, sha256(text)].join('\n');
  let key = Buffer.from('AWS4' + credentials.secretAccessKey);
  for (const part of [date.slice(0, 8), region, service, 'aws4_request']) key = hmac(key, part);
  const signature = crypto.createHmac('sha256', key).update(toSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signed}, Signature=${signature}`;
  return headers;
}

const ORDER_MINUS_TWO = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC63254Fn;

/// The SigV4A private key as aws-c-auth derives it (counter-mode KDF, HMAC-SHA256), as a KeyObject.
export function sigv4aKey(accessKeyId, secretAccessKey) {
  for (let counter = 1; counter < 255; counter++) {
    const fixed = Buffer.concat([Buffer.from([0, 0, 0, 1]), Buffer.from('AWS4-ECDSA-P256-SHA256'), Buffer.from([0]),
      Buffer.from(accessKeyId), Buffer.from([counter]), Buffer.from([0, 0, 1, 0])]);
    const candidate = BigInt('0x' + hmac(Buffer.from('AWS4A' + secretAccessKey), fixed).toString('hex'));
    if (candidate <= ORDER_MINUS_TWO) {
      const d = Buffer.from((candidate + 1n).toString(16).padStart(64, '0'), 'hex');
      const ecdh = crypto.createECDH('prime256v1');
      ecdh.setPrivateKey(d);
      const point = ecdh.getPublicKey();
      const b64 = (buffer) => buffer.toString('base64url');
      return crypto.createPrivateKey({ key: { kty: 'EC', crv: 'P-256', d: b64(d), x: b64(point.subarray(1, 33)), y: b64(point.subarray(33)) }, format: 'jwk' });
    }
  }
  throw new Error('no SigV4A key within 254 counters');
}

function sigv4a(method, url, headers, body, service, credentials, now = new Date()) {
  const date = amzDate(now);
  headers['x-amz-date'] = date;
  headers['x-amz-region-set'] = '*';
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const { text, signed } = canonicalRequest(method, url, headers, body);
  const scope = `${date.slice(0, 8)}/${service}/aws4_request`;
  const toSign = ['AWS4-ECDSA-P256-SHA256', date, scope, sha256(text)].join('\n');
  const signature = crypto.sign('sha256', Buffer.from(toSign), { key: sigv4aKey(credentials.accessKeyId, credentials.secretAccessKey), dsaEncoding: 'der' }).toString('hex');
  headers.authorization = `AWS4-ECDSA-P256-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signed}, Signature=${signature}`;
  return headers;
}

// ---------------------------------------------------------------- HTTP

function send(method, url, headers, body) {
  return new Promise((resolve, reject) => {
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, { method, headers: { ...headers, 'content-length': Buffer.byteLength(body) }, timeout: 10000 }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    request.on('timeout', () => request.destroy(new Error(`timeout: ${method} ${url.host}`)));
    request.on('error', reject);
    request.end(body);
  });
}

async function aws(method, url, headers, body, sign) {
  const answer = await send(method, url, sign(method, url, { host: url.host, ...headers }, body), body);
  if (answer.status >= 300) {
    const error = new Error(`${method} ${url.pathname}: HTTP ${answer.status} ${answer.body.slice(0, 300)}`);
    error.status = answer.status;
    throw error;
  }
  return answer;
}

// ---------------------------------------------------------------- the reconcile

function endpoints(config, env) {
  const custom = env.AWS_ENDPOINT_URL;
  const account = config.storeArn.split(':')[4];
  return {
    secrets: new URL(custom || `https://secretsmanager.${config.region}.amazonaws.com`),
    kvs: (path) => new URL(path, custom || `https://${account}.cloudfront-kvs.global.api.aws`),
  };
}

/// Makes the store hold each configured flag's record as LaunchDarkly has it; returns what changed.
export async function reconcile(config, env = process.env, log = console.log) {
  const credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN };
  const where = endpoints(config, env);
  const secretBody = JSON.stringify({ SecretId: config.secretArn });
  const secret = await aws('POST', where.secrets, { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' },
    secretBody, (m, u, h, b) => sigv4(m, u, h, b, 'secretsmanager', config.region, credentials));
  const sdkKey = JSON.parse(secret.body).SecretString;
  const data = await send('GET', new URL(config.sdkBaseUri.replace(/\/$/, '') + '/sdk/latest-all'), { authorization: sdkKey, accept: 'application/json' }, '');
  if (data.status !== 200) throw new Error(`LaunchDarkly SDK endpoint: HTTP ${data.status}`);
  const flags = JSON.parse(data.body).flags || {};
  const storePath = `/key-value-stores/${encode(config.storeArn)}`;
  const signA = (m, u, h, b) => sigv4a(m, u, h, b, 'cloudfront-keyvaluestore', credentials);
  const changes = [];
  for (const key of config.flags) {
    const flag = flags[key];
    const wanted = flag && !flag.deleted ? makeRecord(flag) : null;
    if (flag && !flag.deleted && wanted === null) {
      log(`flag ${key}: ${unsupported(flag).join(', ') || 'a record over 1 KB'}; the store keeps its record`);
      continue;
    }
    let current = null;
    try {
      current = JSON.parse((await aws('GET', where.kvs(`${storePath}/keys/${encode(key)}`), {}, '', signA)).body).Value;
    } catch (error) {
      if (error.status !== 404) throw error;
    }
    if (current === wanted) continue;
    const eTag = (await aws('GET', where.kvs(storePath), {}, '', signA)).headers.etag;
    if (wanted === null) {
      await aws('DELETE', where.kvs(`${storePath}/keys/${encode(key)}`), { 'if-match': eTag }, '', signA);
    } else {
      await aws('PUT', where.kvs(`${storePath}/keys/${encode(key)}`), { 'if-match': eTag, 'content-type': 'application/json' },
        JSON.stringify({ Value: wanted }), signA);
    }
    changes.push({ flag: key, from: current, to: wanted });
    log(`flag ${key}: ${current} -> ${wanted}`);
  }
  return { changed: changes.length, changes };
}

/// The Lambda entry point (EventBridge schedule).
export const handler = async () => reconcile(JSON.parse(fs.readFileSync(new URL('./config.json', import.meta.url), 'utf8')));

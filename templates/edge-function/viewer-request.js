// ldedge viewer-request CloudFront Function (cloudfront-js-2.0): sends each visitor to the old or
// the new site by a LaunchDarkly flag, evaluated here with LaunchDarkly's own bucketing from one
// compact record per flag in the function's KeyValueStore (written by ldedge: docs/cloudfront-functions.md).
// Record: {"v": version, "on": bool, "off": index|null, "vals": [values], and "fall": index or
// "r": {"salt", "seed"?, "kind"?, "exp"?, "w": [[variation, weight], ...]}}. No record, or one
// that does not read, sends the visitor on unchanged (the old site).
import cf from 'cloudfront';
import crypto from 'crypto';

const CONFIG = {"flag":"rebrand","recordKey":"rebrand","oldPrefix":"/site/","newPrefix":"/site/beta/","mode":"redirect","pagesOnly":true,"source":"clientIp","name":"","contextKind":"user"};
const store = cf.kvs();
const SCALE = 0xFFFFFFFFFFFFFFF;

function bucket(record, rollout, key) {
  if ((rollout.kind || 'user') !== CONFIG.contextKind) return -1;
  const prefix = rollout.seed !== undefined && rollout.seed !== null ? String(rollout.seed) : CONFIG.flag + '.' + (rollout.salt || '');
  const hex = crypto.createHash('sha1').update(prefix + '.' + key).digest('hex');
  // 15 hex digits are 60 bits: summed from two exact halves so the one rounding matches the SDK's.
  return (parseInt(hex.substring(0, 7), 16) * 4294967296 + parseInt(hex.substring(7, 15), 16)) / SCALE;
}

function value(record, index) {
  return typeof index === 'number' && index >= 0 && index < record.vals.length ? record.vals[index] : null;
}

function evaluate(record, key) {
  if (!record.on) return value(record, record.off);
  if (typeof record.fall === 'number') return value(record, record.fall);
  const rollout = record.r;
  const position = bucket(record, rollout, key);
  let total = 0;
  for (let i = 0; i < rollout.w.length; i++) {
    total += rollout.w[i][1] / 100000;
    if (position < total) return value(record, rollout.w[i][0]);
  }
  return value(record, rollout.w[rollout.w.length - 1][0]);
}

function contextKey(event) {
  const request = event.request;
  if (CONFIG.source === 'cookie') {
    const cookie = request.cookies && request.cookies[CONFIG.name];
    if (cookie && cookie.value) return cookie.value;
  } else if (CONFIG.source === 'header') {
    const header = request.headers && request.headers[CONFIG.name.toLowerCase()];
    if (header && header.value) return header.value;
  }
  return (event.viewer && event.viewer.ip) || 'anonymous';
}

function newUri(uri) {
  if (CONFIG.pagesOnly) {
    const last = uri.substring(uri.lastIndexOf('/') + 1);
    if (!(last === '' || last.endsWith('.html') || last.indexOf('.') < 0)) return null;
  }
  if (uri.startsWith(CONFIG.newPrefix)) return null;
  if (uri.startsWith(CONFIG.oldPrefix)) return CONFIG.newPrefix + uri.substring(CONFIG.oldPrefix.length);
  if (uri + '/' === CONFIG.oldPrefix) return CONFIG.newPrefix;
  return null;
}

function query(querystring) {
  const parts = [];
  for (const name in querystring || {}) {
    const entry = querystring[name];
    const values = entry.multiValue ? entry.multiValue.map((item) => item.value) : [entry.value];
    for (const item of values) parts.push(item === '' ? name : name + '=' + item);
  }
  return parts.length ? '?' + parts.join('&') : '';
}

async function handler(event) {
  const request = event.request;
  try {
    const target = newUri(request.uri);
    if (target === null) return request;
    let record;
    try {
      record = await store.get(CONFIG.recordKey, { format: 'json' });
    } catch (missing) {
      return request;
    }
    if (!record || !Array.isArray(record.vals) || (record.on && typeof record.fall !== 'number' && !(record.r && Array.isArray(record.r.w) && record.r.w.length))) {
      return request;
    }
    if (evaluate(record, contextKey(event)) !== true) return request;
    if (CONFIG.mode === 'rewrite') {
      request.uri = target.endsWith('/') ? target + 'index.html' : target;
      return request;
    }
    return {
      statusCode: 302,
      statusDescription: 'Found',
      headers: { location: { value: target + query(request.querystring) }, 'cache-control': { value: 'no-store' } },
    };
  } catch (error) {
    return request;
  }
}

// The api-key reference plugin, written in JavaScript (jco componentize, QuickJS backend).
//
// Same behaviour as the Rust, C and Python versions (see ../README.md):
// * the key is the `api_key` setting; without a non-empty one every request gets 500
//   (fail closed) and an error log line;
// * the request must carry exactly one credential header, `X-API-Key: <key>` or
//   `Authorization: Bearer <key>`; the key is compared in constant time;
// * a match runs the request as the `username` setting (default `api-user`); anything else
//   gets 401, `WWW-Authenticate: Bearer realm="mlflow"` and an MLflow JSON error.
//
// QuickJS has no TextEncoder: strings are turned into bytes by `utf8` below.

import { get } from 'mlauth:plugin/config@0.1.0';
import { write } from 'mlauth:plugin/log@0.1.0';

const DEFAULT_USERNAME = 'api-user';
const UNAUTHENTICATED =
  '{"error_code": "UNAUTHENTICATED", "message": "A valid API key is required ' +
  '(X-API-Key: <key> or Authorization: Bearer <key>)."}';
const NOT_CONFIGURED =
  '{"error_code": "INTERNAL_ERROR", "message": "api-key plugin is not configured: set api_key"}';

export const authenticator = {
  authenticate(req) {
    const expected = get('api_key');
    if (!expected) {
      write('error', 'the `api_key` setting is missing or empty; refusing every request');
      throw refusal(500, [], NOT_CONFIGURED);
    }
    const presented = presentedKey(req.headers);
    if (presented !== null && constantTimeEqual(presented, utf8(expected))) {
      return { username: get('username') || DEFAULT_USERNAME, groups: [], attributes: [] };
    }
    const challenge = { name: 'www-authenticate', value: utf8('Bearer realm="mlflow"') };
    throw refusal(401, [challenge], UNAUTHENTICATED);
  },
};

// Throwing from an export returning result<_, response> sends err(response).
function refusal(status, headers, json) {
  const contentType = { name: 'content-type', value: utf8('application/json') };
  return { status, headers: [...headers, contentType], body: utf8(json) };
}

// The key from the only credential header; several credential headers count as none.
function presentedKey(headers) {
  const credentials = headers.filter((h) => h.name === 'x-api-key' || h.name === 'authorization');
  if (credentials.length !== 1) return null;
  const [header] = credentials;
  return header.name === 'x-api-key' ? header.value : bearerToken(header.value);
}

// `<token>` from `Bearer <token>` (scheme case-insensitive, one run of visible ASCII
// characters, spaces and tabs around it ignored), else null.
function bearerToken(value) {
  const isSpace = (c) => c === 0x20 || c === 0x09;
  let start = 0;
  let end = value.length;
  while (start < end && isSpace(value[start])) start++;
  while (end > start && isSpace(value[end - 1])) end--;
  let cut = start;
  while (cut < end && !isSpace(value[cut])) cut++;
  const scheme = String.fromCharCode(...value.subarray(start, cut)).toLowerCase();
  let tokenStart = cut;
  while (tokenStart < end && isSpace(value[tokenStart])) tokenStart++;
  const token = value.subarray(tokenStart, end);
  if (scheme !== 'bearer' || token.length === 0) return null;
  return token.every((c) => c >= 0x21 && c <= 0x7e) ? token : null;
}

// Compares two byte arrays in time that depends only on their lengths.
function constantTimeEqual(a, b) {
  const length = Math.max(a.length, b.length);
  let diff = a.length ^ b.length;
  for (let i = 0; i < length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

// UTF-8 bytes of a string.
function utf8(text) {
  const bytes = [];
  for (const char of text) {
    const c = char.codePointAt(0);
    if (c < 0x80) bytes.push(c);
    else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else bytes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Uint8Array.from(bytes);
}

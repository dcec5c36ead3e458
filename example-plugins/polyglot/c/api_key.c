// The api-key reference plugin, written in C (clang + wasi-libc + `wit-bindgen c`).
//
// Same behaviour as the Rust, JavaScript and Python versions (see ../README.md):
// * the key is the `api_key` setting; without a non-empty one every request gets 500
//   (fail closed) and an error log line;
// * the request must carry exactly one credential header, `X-API-Key: <key>` or
//   `Authorization: Bearer <key>`; the key is compared in constant time;
// * a match runs the request as the `username` setting (default `api-user`); anything else
//   gets 401, `WWW-Authenticate: Bearer realm="mlflow"` and an MLflow JSON error.
//
// Memory follows wit-bindgen's C conventions: the export frees its argument, and
// everything it returns is malloc'd (the generated post-return function frees it).

#include <stdlib.h>
#include <string.h>

#include "authenticator_plugin.h"

typedef authenticator_plugin_string_t string_t;
typedef authenticator_plugin_list_u8_t bytes_t;
typedef mlauth_plugin_types_header_t header_t;

static const char DEFAULT_USERNAME[] = "api-user";
static const char UNAUTHENTICATED[] =
    "{\"error_code\": \"UNAUTHENTICATED\", \"message\": \"A valid API key is required "
    "(X-API-Key: <key> or Authorization: Bearer <key>).\"}";
static const char NOT_CONFIGURED[] =
    "{\"error_code\": \"INTERNAL_ERROR\", \"message\": "
    "\"api-key plugin is not configured: set api_key\"}";

// A malloc'd copy of `len` bytes (at least one byte is allocated).
static uint8_t *copy(const void *src, size_t len) {
  uint8_t *out = malloc(len ? len : 1);
  if (!out) abort();
  memcpy(out, src, len);
  return out;
}

// The setting `key`, or is_some = false. The caller frees it.
static authenticator_plugin_option_string_t setting(const char *key) {
  string_t name = {(uint8_t *)key, strlen(key)};
  authenticator_plugin_option_string_t value = {0};
  value.is_some = mlauth_plugin_config_get(&name, &value.val);
  return value;
}

static void log_error(const char *message) {
  string_t text = {(uint8_t *)message, strlen(message)};
  mlauth_plugin_log_write(MLAUTH_PLUGIN_LOG_LEVEL_ERROR, &text);
}

// Compares two byte strings in time that depends only on their lengths.
static int constant_time_equal(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len) {
  size_t len = a_len > b_len ? a_len : b_len;
  volatile uint8_t diff = a_len != b_len;
  for (size_t i = 0; i < len; i++) {
    uint8_t x = i < a_len ? a[i] : 0;
    uint8_t y = i < b_len ? b[i] : 0;
    diff |= x ^ y;
  }
  return diff == 0;
}

static int name_is(const header_t *h, const char *name) {
  size_t len = strlen(name);
  return h->name.len == len && memcmp(h->name.ptr, name, len) == 0;
}

static int is_space(uint8_t c) { return c == ' ' || c == '\t'; }

// `<token>` from `Bearer <token>` (scheme case-insensitive, one run of visible ASCII
// characters, spaces and tabs around it ignored). Returns 0 when it is not one.
static int bearer_token(bytes_t value, bytes_t *token) {
  size_t start = 0, end = value.len;
  while (start < end && is_space(value.ptr[start])) start++;
  while (end > start && is_space(value.ptr[end - 1])) end--;
  size_t cut = start;
  while (cut < end && !is_space(value.ptr[cut])) cut++;
  static const char scheme[] = "bearer";
  if (cut - start != sizeof scheme - 1) return 0;
  for (size_t i = 0; i < sizeof scheme - 1; i++) {
    uint8_t c = value.ptr[start + i];
    if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != (uint8_t)scheme[i]) return 0;
  }
  while (cut < end && is_space(value.ptr[cut])) cut++;
  if (cut == end) return 0;
  for (size_t i = cut; i < end; i++) {
    if (value.ptr[i] < 0x21 || value.ptr[i] > 0x7e) return 0;
  }
  token->ptr = value.ptr + cut;
  token->len = end - cut;
  return 1;
}

// The key from the only credential header; several credential headers count as none.
static int presented_key(const mlauth_plugin_types_list_header_t *headers, bytes_t *key) {
  const header_t *found = NULL;
  for (size_t i = 0; i < headers->len; i++) {
    const header_t *h = &headers->ptr[i];
    if (name_is(h, "x-api-key") || name_is(h, "authorization")) {
      if (found) return 0;
      found = h;
    }
  }
  if (!found) return 0;
  if (name_is(found, "x-api-key")) {
    *key = found->value;
    return 1;
  }
  return bearer_token(found->value, key);
}

static header_t header(const char *name, const char *value) {
  header_t h;
  authenticator_plugin_string_dup(&h.name, name);
  h.value.len = strlen(value);
  h.value.ptr = copy(value, h.value.len);
  return h;
}

// An MLflow JSON error, with a Bearer challenge when `challenge` is set.
static void refusal(uint16_t status, const char *json, int challenge,
                    exports_mlauth_plugin_authenticator_response_t *err) {
  size_t count = challenge ? 2 : 1;
  header_t *headers = malloc(count * sizeof(header_t));
  if (!headers) abort();
  headers[0] = header("content-type", "application/json");
  if (challenge) headers[1] = header("www-authenticate", "Bearer realm=\"mlflow\"");
  err->status = status;
  err->headers.ptr = headers;
  err->headers.len = count;
  err->body.len = strlen(json);
  err->body.ptr = copy(json, err->body.len);
}

bool exports_mlauth_plugin_authenticator_authenticate(
    exports_mlauth_plugin_authenticator_request_t *req,
    exports_mlauth_plugin_authenticator_authorization_t *ret,
    exports_mlauth_plugin_authenticator_response_t *err) {
  authenticator_plugin_option_string_t expected = setting("api_key");
  bool ok = false;
  bytes_t key;
  if (!expected.is_some || expected.val.len == 0) {
    log_error("the `api_key` setting is missing or empty; refusing every request");
    refusal(500, NOT_CONFIGURED, 0, err);
  } else if (presented_key(&req->headers, &key) &&
             constant_time_equal(key.ptr, key.len, expected.val.ptr, expected.val.len)) {
    authenticator_plugin_option_string_t user = setting("username");
    if (user.is_some && user.val.len > 0) {
      ret->username = user.val;  // ownership passes to the result
    } else {
      authenticator_plugin_option_string_free(&user);
      authenticator_plugin_string_dup(&ret->username, DEFAULT_USERNAME);
    }
    ret->groups.ptr = NULL;
    ret->groups.len = 0;
    ret->attributes.ptr = NULL;
    ret->attributes.len = 0;
    ok = true;
  } else {
    refusal(401, UNAUTHENTICATED, 1, err);
  }
  authenticator_plugin_option_string_free(&expected);
  exports_mlauth_plugin_authenticator_request_free(req);
  return ok;
}

"""The api-key reference plugin, written in Python (componentize-py).

Same behaviour as the Rust, C and JavaScript versions (see ../README.md):

* the key is the ``api_key`` setting; without a non-empty one every request gets 500
  (fail closed) and an error log line;
* the request must carry exactly one credential header, ``X-API-Key: <key>`` or
  ``Authorization: Bearer <key>``; the key is compared in constant time;
* a match runs the request as the ``username`` setting (default ``api-user``); anything
  else gets 401, ``WWW-Authenticate: Bearer realm="mlflow"`` and an MLflow JSON error.

Build: ``componentize-py -d ../../../wit -w authenticator-plugin componentize api_key -o api_key.wasm``
"""

import hmac

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import config, log
from wit_world.imports.types import Authorization, Header, Request, Response

DEFAULT_USERNAME = "api-user"
UNAUTHENTICATED = (
    b'{"error_code": "UNAUTHENTICATED", "message": "A valid API key is required '
    b'(X-API-Key: <key> or Authorization: Bearer <key>)."}'
)
NOT_CONFIGURED = (
    b'{"error_code": "INTERNAL_ERROR", "message": '
    b'"api-key plugin is not configured: set api_key"}'
)
JSON = Header(name="content-type", value=b"application/json")


class Authenticator(exports.Authenticator):
    """The exported ``mlauth:plugin/authenticator`` interface."""

    def authenticate(self, req: Request) -> Authorization:
        expected = config.get("api_key")
        if not expected:
            log.write(log.Level.ERROR, "the `api_key` setting is missing or empty; refusing every request")
            raise Err(Response(status=500, headers=[JSON], body=NOT_CONFIGURED))
        presented = presented_key(req.headers)
        if presented is not None and hmac.compare_digest(presented, expected.encode()):
            username = config.get("username") or DEFAULT_USERNAME
            return Authorization(username=username, groups=[], attributes=[])
        challenge = Header(name="www-authenticate", value=b'Bearer realm="mlflow"')
        raise Err(Response(status=401, headers=[challenge, JSON], body=UNAUTHENTICATED))


def presented_key(headers: list) -> bytes | None:
    """The key from the only credential header; several credential headers count as none."""
    credentials = [h for h in headers if h.name in ("x-api-key", "authorization")]
    if len(credentials) != 1:
        return None
    header = credentials[0]
    if header.name == "x-api-key":
        return header.value
    return bearer_token(header.value)


def bearer_token(value: bytes) -> bytes | None:
    """``<token>`` from ``Bearer <token>`` (scheme case-insensitive, one run of visible
    ASCII characters, spaces and tabs around it ignored), else ``None``."""
    text = value.strip(b" \t")
    cut = next((i for i, c in enumerate(text) if c in b" \t"), len(text))
    scheme, token = text[:cut], text[cut:].lstrip(b" \t")
    if scheme.lower() != b"bearer" or not token:
        return None
    if any(c < 0x21 or c > 0x7E for c in token):
        return None
    return token

"""A stand-in for the Bot Framework's token issuer, so real JWT validation runs offline.

botframework-connector fetches the OpenID metadata and signing keys with the
blocking ``requests`` library, so this server runs in its own thread (on an
ephemeral loopback port) rather than on the test's event loop. ``token()``
signs a token exactly as the Bot Framework channel does (RS256, issuer
https://api.botframework.com, audience = the bot's app id, serviceurl claim).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from base64 import urlsafe_b64encode
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "https://api.botframework.com"


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return urlsafe_b64encode(raw).rstrip(b"=").decode()


class FakeBotFrameworkIssuer:
    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = uuid.uuid4().hex
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def metadata_url(self) -> str:
        return f"{self.base}/v1/.well-known/openidconfiguration"

    def __enter__(self) -> FakeBotFrameworkIssuer:
        self._thread.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()

    def token(self, app_id: str, service_url: str, *, key: Any = None,
              expires_in: int = 3600, issuer: str = ISSUER) -> str:
        """A channel-to-bot token; pass another ``key`` to forge one."""
        now = int(time.time())
        claims = {"iss": issuer, "aud": app_id, "serviceurl": service_url,
                  "nbf": now - 60, "exp": now + expires_in, "iat": now - 60}
        return jwt.encode(claims, key or self._key, algorithm="RS256",
                          headers={"kid": self.key_id})

    def _documents(self) -> dict[str, bytes]:
        public = self._key.public_key().public_numbers()
        jwks = {"keys": [{"kty": "RSA", "use": "sig", "kid": self.key_id, "n": _b64(public.n),
                          "e": _b64(public.e), "endorsements": ["msteams", "emulator"]}]}
        metadata = {"issuer": ISSUER, "jwks_uri": f"{self.base}/v1/keys",
                    "id_token_signing_alg_values_supported": ["RS256"]}
        return {"/v1/.well-known/openidconfiguration": json.dumps(metadata).encode(),
                "/v1/keys": json.dumps(jwks).encode()}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = issuer._documents().get(self.path)
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body or b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

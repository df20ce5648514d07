"""Encryption at rest for sensitive columns, with key rotation (Fernet)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class CipherError(ValueError):
    """A key is invalid, or data was sealed with a key we do not hold."""


class Cipher:
    """Encrypts with the first key; decrypts with any (so keys can rotate)."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise CipherError("at least one key is required")
        try:
            self._fernet = MultiFernet([Fernet(k.strip().encode()) for k in keys])
        except (ValueError, TypeError) as exc:
            raise CipherError("PEERLINK_SECRET_KEY holds an invalid Fernet key") from exc
        # A separate key for fingerprints, derived from the current key.
        self._mac_key = hashlib.sha256(b"peerlink-fingerprint|" + keys[0].strip().encode()).digest()

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

    def encrypt(self, data: Any) -> str:
        return self._fernet.encrypt(json.dumps(data, separators=(",", ":")).encode()).decode()

    def decrypt(self, token: str) -> Any:
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken as exc:
            raise CipherError("data was encrypted with a key that is not configured") from exc

    def fingerprint(self, value: str) -> str:
        """A keyed, one-way fingerprint of ``value``: equal values can be found without
        storing them. It changes with the current key, so use it only for short-lived
        lookups (a key rotation breaks the link, which is then harmless)."""
        return hmac.new(self._mac_key, value.encode(), hashlib.sha256).hexdigest()

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the current first key."""
        return self._fernet.rotate(token.encode()).decode()

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
            fernets = [Fernet(k.strip().encode()) for k in keys]
        except (ValueError, TypeError) as exc:
            raise CipherError("PEERLINK_SECRET_KEY holds an invalid Fernet key") from exc
        self._current = fernets[0]
        self._fernet = MultiFernet(fernets)
        # Fingerprints have keys of their own, one derived from each key: written with the
        # current one, matched under any, so lookups survive until rows are re-keyed.
        self._mac_keys = [
            hashlib.sha256(b"peerlink-fingerprint|" + k.strip().encode()).digest() for k in keys
        ]

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
        """A keyed, one-way fingerprint of ``value`` under the current key, to store: equal
        values can be found without storing them."""
        return _mac(self._mac_keys[0], value)

    def fingerprints(self, value: str) -> list[str]:
        """The fingerprint of ``value`` under every configured key, current first: what a
        lookup matches, so rows written before a key rotation are still found."""
        return [_mac(key, value) for key in self._mac_keys]

    def is_current(self, token: str) -> bool:
        """Whether ``token`` is sealed with the current key (nothing to rotate)."""
        try:
            self._current.decrypt(token.encode())
        except InvalidToken:
            return False
        return True

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the current first key."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise CipherError("data was encrypted with a key that is not configured") from exc


def _mac(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()

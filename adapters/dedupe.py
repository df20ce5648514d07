"""Delivery keys already shown, so a delivery offered twice is shown once."""

from __future__ import annotations

from collections import OrderedDict


class SeenKeys:
    """The most recently seen keys, at most ``limit`` of them; the least recent go first."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._keys: OrderedDict[str, None] = OrderedDict()

    def add(self, key: str) -> bool:
        """Remember ``key``; False when it was already remembered."""
        if key in self._keys:
            self._keys.move_to_end(key)
            return False
        self._keys[key] = None
        if len(self._keys) > self._limit:
            self._keys.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._keys)

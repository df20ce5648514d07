"""The Microsoft Teams app package: manifest, French localization and icons.

The canonical manifest is ``adapters/teams/manifest.json`` (package data), written
for the placeholder bot ``EXAMPLE_APP_ID`` at ``EXAMPLE_URL``; ``teams_manifest``
fills in a deployment's Microsoft App ID and public URL. ``fr.json`` beside it
translates what people see (names, descriptions, command titles). The icons are
drawn here by ``icons()`` with a tiny PNG writer (zlib and struct, no imaging
library) and shipped as ``color.png`` and ``outline.png``.

Both JSON files follow schema 1.30, the newest that Microsoft's npm package
``@microsoft/app-manifest`` ships; ``tests/test_teams_manifest.py`` validates the
package against that package's JSON schemas (installed by ``.ci/install-teams-schema``).

``manifest/teams/`` is the unpacked package for the example values; a test keeps
it, and the shipped icons, in sync. Regenerate both with::

    .venv/bin/python -m adapters.teams.manifest

The messaging endpoint (``https://HOST/api/messages``) is not part of the manifest:
it is set on the bot registration (Azure Bot or Teams Developer Portal).
"""

from __future__ import annotations

import io
import json
import math
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from adapters.urls import public_base_url

HERE = Path(__file__).parent
MANIFEST_FILE = HERE / "manifest.json"
LOCALIZATION_FILE = HERE / "fr.json"
ICON_FILES = ("color.png", "outline.png")
EXAMPLE_APP_ID = "00000000-0000-0000-0000-000000000000"
EXAMPLE_URL = "https://peerlink.example.com"
EXAMPLE_DIR = HERE.parents[1] / "manifest" / "teams"  # in a source checkout only
PRIVACY_PATH = "/privacy"
TERMS_PATH = "/terms"

BRAND = (0x4F, 0x46, 0xE5)  # #4F46E5, also the manifest's accentColor
BRAND_LIGHT = (0xA5, 0xB4, 0xFC)  # a tint of the brand colour
BRAND_DARK = (0x31, 0x2E, 0x81)  # where the two circles overlap
WHITE = (0xFF, 0xFF, 0xFF)
COLOR_SIZE, OUTLINE_SIZE = 192, 32

_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so the same input gives the same package


class ManifestError(ValueError):
    """An app id or URL the manifest cannot use; the message says why, in one line."""


# --- The manifest ----------------------------------------------------------------------

def teams_manifest(app_id: str, url: str) -> dict[str, Any]:
    """The manifest for the bot ``app_id`` (its Microsoft App ID) served at ``url``.

    ``url`` is the public base URL, scheme and host only: https, or http on
    localhost for local testing. It gives the developer links and the valid domain.
    """
    bot_id = _app_id(app_id)
    base = _base_url(url)
    data: dict[str, Any] = json.loads(MANIFEST_FILE.read_text(encoding="utf-8"))
    data["id"] = bot_id
    data["developer"].update(
        websiteUrl=base,
        privacyUrl=f"{base}{PRIVACY_PATH}",
        termsOfUseUrl=f"{base}{TERMS_PATH}",
    )
    for bot in data["bots"]:
        bot["botId"] = bot_id
    data["validDomains"] = [urlsplit(base).hostname]
    return data


def manifest_text(data: dict[str, Any]) -> str:
    """JSON as Teams and people read it: UTF-8, indented, one final newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def localization() -> dict[str, Any]:
    """The French strings (``fr.json``): they do not depend on the deployment."""
    data: dict[str, Any] = json.loads(LOCALIZATION_FILE.read_text(encoding="utf-8"))
    return data


def package_files(app_id: str, url: str) -> dict[str, bytes]:
    """Every file of the app package, by name, in package order."""
    files = {
        "manifest.json": manifest_text(teams_manifest(app_id, url)).encode("utf-8"),
        LOCALIZATION_FILE.name: manifest_text(localization()).encode("utf-8"),
    }
    for name in ICON_FILES:
        files[name] = (HERE / name).read_bytes()
    return files


def teams_package(app_id: str, url: str) -> bytes:
    """The zip Teams takes under "Upload a custom app": every file at the root."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in package_files(app_id, url).items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def _app_id(app_id: str | None) -> str:
    value = (app_id or "").strip()
    if not value:
        raise ManifestError(
            "the bot's Microsoft App ID is needed: --app-id GUID, or set MICROSOFT_APP_ID"
        )
    if not _GUID.fullmatch(value):
        raise ManifestError(
            f"the app id must be the bot's Microsoft App ID, a GUID like {EXAMPLE_APP_ID} "
            f"(got {value!r})"
        )
    return value.lower()


def _base_url(url: str | None) -> str:
    try:
        return public_base_url(url, endpoint_hint=(
            "the bot's messaging endpoint, https://HOST/api/messages, is set on its "
            "registration, not here"))
    except ValueError as exc:
        raise ManifestError(str(exc)) from None


# --- The icons -------------------------------------------------------------------------

def icons() -> dict[str, bytes]:
    """``color.png`` (192x192, full colour) and ``outline.png`` (32x32, white on transparent).

    The emblem is two overlapping circles: two people in one conversation.
    """
    return {"color.png": _color_icon(), "outline.png": _outline_icon()}


def _color_icon() -> bytes:
    """Two filled circles on white, within Teams' 120x120 safe area in the middle."""
    size, radius, offset = COLOR_SIZE, 40.0, 20.0
    middle = size / 2
    left = _disc(middle - offset, middle, radius)
    right = _disc(middle + offset, middle, radius)
    pixels = bytearray()
    for y in range(size):
        for x in range(size):
            a, b = left(x, y), right(x, y)
            colour = _mix(WHITE, BRAND, a)
            colour = _mix(colour, BRAND_LIGHT, b)
            colour = _mix(colour, BRAND_DARK, min(a, b))
            pixels += bytes(colour)
    return png(size, size, bytes(pixels), alpha=False)


def _outline_icon() -> bytes:
    """Two overlapping rings, white; every other pixel fully transparent."""
    size, radius, width, offset = OUTLINE_SIZE, 9.0, 2.0, 5.0
    middle = size / 2
    left = _ring(middle - offset, middle, radius, width)
    right = _ring(middle + offset, middle, radius, width)
    pixels = bytearray()
    for y in range(size):
        for x in range(size):
            coverage = max(left(x, y), right(x, y))
            pixels += bytes((*WHITE, round(coverage * 255)))
    return png(size, size, bytes(pixels), alpha=True)


def _disc(cx: float, cy: float, radius: float) -> Callable[[int, int], float]:
    """How much of pixel (x, y) a disc covers, 0..1, anti-aliased over one pixel."""

    def coverage(x: int, y: int) -> float:
        distance = math.hypot(x + 0.5 - cx, y + 0.5 - cy)
        return min(1.0, max(0.0, radius + 0.5 - distance))

    return coverage


def _ring(cx: float, cy: float, radius: float, width: float) -> Callable[[int, int], float]:
    outer, inner = _disc(cx, cy, radius), _disc(cx, cy, radius - width)
    return lambda x, y: outer(x, y) - inner(x, y)


def _mix(under: tuple[int, ...], over: tuple[int, ...], amount: float) -> tuple[int, ...]:
    return tuple(round(u + (o - u) * amount) for u, o in zip(under, over, strict=True))


def png(width: int, height: int, pixels: bytes, *, alpha: bool) -> bytes:
    """An 8-bit RGB or RGBA PNG from raw pixels, rows top to bottom, no filtering."""
    channels = 4 if alpha else 3
    stride = width * channels
    if len(pixels) != stride * height:
        raise ValueError(f"expected {stride * height} bytes of pixels, got {len(pixels)}")
    raw = b"".join(b"\x00" + pixels[row * stride:(row + 1) * stride] for row in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 6 if alpha else 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b""))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


# --- Regenerating the shipped files ----------------------------------------------------

def write_files() -> list[Path]:
    """Rewrite the shipped files in their generated form, and the example package.

    The canonical ``manifest.json`` and ``fr.json`` are edited by hand; this puts
    them back in the form ``manifest_text`` writes, which the tests expect.
    """
    MANIFEST_FILE.write_text(manifest_text(teams_manifest(EXAMPLE_APP_ID, EXAMPLE_URL)),
                             encoding="utf-8")
    LOCALIZATION_FILE.write_text(manifest_text(localization()), encoding="utf-8")
    written = [MANIFEST_FILE, LOCALIZATION_FILE]
    for name, content in icons().items():
        written.append(HERE / name)
        (HERE / name).write_bytes(content)
    EXAMPLE_DIR.mkdir(parents=True, exist_ok=True)
    for name, content in package_files(EXAMPLE_APP_ID, EXAMPLE_URL).items():
        written.append(EXAMPLE_DIR / name)
        (EXAMPLE_DIR / name).write_bytes(content)
    return written


if __name__ == "__main__":
    for path in write_files():
        print(path)

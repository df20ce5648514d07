"""The public base URL an operator gives for an app manifest."""

from __future__ import annotations

from urllib.parse import urlsplit

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def public_base_url(url: str | None, *, endpoint_hint: str) -> str:
    """``https://host[:port]`` from what the operator typed; ValueError says what is wrong.

    http is accepted for local hosts only (testing through a tunnel or an emulator).
    """
    if not url or not url.strip():
        raise ValueError("a public URL is needed, e.g. --url https://peerlink.example.com")
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port that is not a number in range
    except ValueError as exc:
        raise ValueError(f"not a valid URL: {url!r} ({exc})") from None
    host = parts.hostname or ""
    if parts.scheme != "https" and not (parts.scheme == "http" and host in LOCAL_HOSTS):
        raise ValueError(f"the URL must start with https:// (got {url!r})")
    if not host or parts.username is not None or parts.password is not None:
        raise ValueError(f"the URL needs a host name and no user or password (got {url!r})")
    if any(c.isspace() for c in url):
        raise ValueError(f"the URL must not contain spaces (got {url!r})")
    if parts.path not in ("", "/") or parts.query or parts.fragment or url.endswith(("?", "#")):
        raise ValueError(
            "give only the scheme and host, e.g. https://peerlink.example.com "
            f"(got {url!r}); {endpoint_hint}"
        )
    netloc = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{netloc}" + (f":{port}" if port is not None else "")

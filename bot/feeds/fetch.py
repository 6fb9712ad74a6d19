"""The one place that fetches over HTTP: conditional GET, caps, redirects, safe gzip.

Responses are hostile until read: the body is decompressed here, a chunk at
a time, so a gzip bomb stops at the size cap instead of filling memory;
redirects are followed by hand so loops are caught and permanent moves
remembered; every failure becomes a classified ``FetchError``.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Final
from urllib.parse import urljoin

import aiohttp

from bot import __version__
from bot.errors import TrialwireError
from bot.feeds.model import ErrorKind, FetchError

USER_AGENT: Final = (
    f"trialwire/{__version__} (+https://github.com/trialwire/trialwire; polite feed reader)"
)
_PERMANENT = (301, 308)
_REDIRECTS = (301, 302, 303, 307, 308)


class FetchFailed(TrialwireError):
    """A fetch did not give a usable response; ``error`` says what kind of failure."""

    def __init__(self, error: FetchError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass(frozen=True, kw_only=True, slots=True)
class Limits:
    timeout: float = 20.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5


@dataclass(frozen=True, kw_only=True, slots=True)
class Fetched:
    """A usable response: 200 with its body, or 304 (``not_modified``) without."""

    status: int
    body: bytes
    headers: Mapping[str, str]
    url: str
    moved_to: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


def new_session(*, max_connections: int = 50, per_host: int = 8) -> aiohttp.ClientSession:
    """The shared session: a global connection limit, a per-host limit, a polite UA.

    Decompression is ours (``auto_decompress=False``), so it can be capped.
    """
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=max_connections, limit_per_host=per_host),
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
        auto_decompress=False,
    )


async def fetch(
    session: aiohttp.ClientSession,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    limits: Limits = Limits(),
    accept: str = "application/rss+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1",
) -> Fetched:
    """GET ``url`` conditionally; raises FetchFailed with a classified error."""
    headers = {"Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with asyncio.timeout(limits.timeout):
            return await _follow(session, url, headers, limits)
    except FetchFailed:
        raise
    except Exception as exc:  # every transport failure is classified, none escapes raw
        raise FetchFailed(classify(exc)) from exc


async def _follow(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str], limits: Limits
) -> Fetched:
    seen = [url]
    permanent = True
    current = url
    for _ in range(limits.max_redirects + 1):
        async with session.get(current, headers=headers, allow_redirects=False) as response:
            if response.status in _REDIRECTS:
                location = response.headers.get("Location")
                if not location:
                    raise FetchFailed(_http_error(response.status, "redirect without Location"))
                permanent = permanent and response.status in _PERMANENT
                current = urljoin(current, location)
                if current in seen:
                    raise FetchFailed(
                        FetchError(
                            kind=ErrorKind.REDIRECT_LOOP, message=f"redirect loop via {current}"
                        )
                    )
                seen.append(current)
                continue
            moved_to = current if permanent and current != url else None
            if response.status == 304:
                return Fetched(
                    status=304, body=b"", headers=_headers(response), url=current, moved_to=moved_to
                )
            if response.status != 200:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                raise FetchFailed(_http_error(response.status, response.reason, retry_after))
            body = await read_capped(response, limits.max_bytes)
            return Fetched(
                status=200, body=body, headers=_headers(response), url=current, moved_to=moved_to
            )
    raise FetchFailed(
        FetchError(
            kind=ErrorKind.REDIRECT_LOOP, message=f"more than {limits.max_redirects} redirects"
        )
    )


def _headers(response: aiohttp.ClientResponse) -> dict[str, str]:
    return {key.lower(): value for key, value in response.headers.items()}


async def read_capped(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    """The decoded body, or FetchFailed(TOO_LARGE) as soon as it passes ``max_bytes``."""
    declared = response.content_length
    encoding = response.headers.get("Content-Encoding", "identity").lower().strip()
    if encoding in ("identity", "") and declared is not None and declared > max_bytes:
        raise FetchFailed(_too_large(max_bytes))
    decoder = _decoder(encoding)
    parts: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        pieces = [chunk] if decoder is None else _inflate(decoder, chunk, max_bytes - size + 1)
        for piece in pieces:
            size += len(piece)
            if size > max_bytes:
                raise FetchFailed(_too_large(max_bytes))
            parts.append(piece)
    if decoder is not None:
        tail = decoder.flush()
        size += len(tail)
        if size > max_bytes:
            raise FetchFailed(_too_large(max_bytes))
        parts.append(tail)
    return b"".join(parts)


def _decoder(encoding: str) -> zlib._Decompress | None:
    if encoding in ("identity", ""):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise FetchFailed(
        FetchError(
            kind=ErrorKind.BAD_ENCODING, message=f"unsupported Content-Encoding {encoding!r}"
        )
    )


def _inflate(decoder: zlib._Decompress, chunk: bytes, budget: int) -> list[bytes]:
    """Decompress ``chunk`` in slices no bigger than the remaining budget (plus one byte)."""
    out = []
    data = chunk
    try:
        while data:
            piece = decoder.decompress(data, max(1, budget))
            out.append(piece)
            budget -= len(piece)
            if budget <= 0:
                break
            data = decoder.unconsumed_tail
    except zlib.error as exc:
        raise FetchFailed(
            FetchError(kind=ErrorKind.BAD_ENCODING, message=f"corrupt compressed body: {exc}")
        ) from exc
    return out


def _too_large(max_bytes: int) -> FetchError:
    return FetchError(kind=ErrorKind.TOO_LARGE, message=f"body larger than {max_bytes:,} bytes")


def _http_error(status: int, reason: str | None, retry_after: float | None = None) -> FetchError:
    if status == 429:
        kind = ErrorKind.RATE_LIMITED
    elif status >= 500:
        kind = ErrorKind.HTTP_SERVER
    else:
        kind = ErrorKind.HTTP_CLIENT
    return FetchError(
        kind=kind,
        message=f"HTTP {status} {reason or ''}".strip(),
        status=status,
        retry_after=retry_after,
    )


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    reference = time.time() if now is None else now
    return max(0.0, when.timestamp() - reference)


def classify(exc: BaseException) -> FetchError:
    """A FetchError for a transport failure."""
    if isinstance(exc, TimeoutError | asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return FetchError(kind=ErrorKind.TIMEOUT, message="timed out")
    if isinstance(exc, aiohttp.ClientPayloadError | zlib.error):
        return FetchError(kind=ErrorKind.BAD_ENCODING, message=f"broken body: {exc}")
    return FetchError(kind=ErrorKind.CONNECTION, message=f"{type(exc).__name__}: {exc}")

"""A stand-in for GlobeNewswire: feeds and release pages from local releases, on 127.0.0.1.

It serves what the poller meets on the real site (RSS 2.0 in GlobeNewswire's
shape, release pages in its current layout), honours conditional GET, and
injects faults on request so tests and the demo can drive the real poller
through timeouts, errors, rate limits and hostile bodies.

Routes: ``/RssFeed/organization/{token}``, ``/RssFeed/industry/{code}``,
``/RssFeed/keyword/{word}`` (each optionally followed by ``/feedTitle/…``)
and ``/news-release/YYYY/MM/DD/{id}/0/en/{slug}.html``.
"""

from __future__ import annotations

import asyncio
import enum
import gzip
import hashlib
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import cache

from aiohttp import web

from bot.releases.files import ReleaseFile

_SLUG = re.compile(r"[^A-Za-z0-9]+")


def slug(text: str, limit: int = 80) -> str:
    return _SLUG.sub("-", text).strip("-")[:limit] or "release"


@dataclass(frozen=True, kw_only=True, slots=True)
class StandInRelease:
    release_id: str
    title: str
    published_at: datetime
    company: str
    tickers: tuple[str, ...]
    text: str

    @property
    def org_token(self) -> str:
        return slug(self.company).lower()

    @property
    def path(self) -> str:
        day = self.published_at
        return f"/news-release/{day:%Y/%m/%d}/{self.release_id}/0/en/{slug(self.title)}.html"

    @classmethod
    def from_file(cls, release: ReleaseFile, *, fallback_time: datetime) -> StandInRelease:
        digits = int(hashlib.sha1(release.text.encode()).hexdigest()[:8], 16) % 9_000_000
        given = release.headers.get("release-id", "").strip()
        return cls(
            release_id=given if given.isdigit() else str(1_000_000 + digits),
            title=release.title,
            published_at=release.published or fallback_time,
            company=release.company,
            tickers=release.tickers,
            text=release.text,
        )


class FaultKind(enum.StrEnum):
    SLOW = "slow"
    SERVER_ERROR = "500"
    UNAVAILABLE = "503"
    RATE_LIMITED = "429"
    NOT_FOUND = "404"
    TRUNCATED = "truncated"
    MALFORMED = "malformed"
    NON_UTF8 = "non-utf8"
    HUGE = "huge"
    GZIP_BOMB = "gzip-bomb"
    REDIRECT_LOOP = "redirect-loop"
    MOVED = "moved"
    NEW_GUIDS = "new-guids"
    RESET = "reset"


@dataclass(kw_only=True, slots=True)
class Fault:
    kind: FaultKind
    times: int | None = None  # None: until cleared
    retry_after: int = 2
    delay: float = 5.0
    size: int = 50 * 1024 * 1024
    moved_to: str = ""


@dataclass(kw_only=True, slots=True)
class _Served:
    """A response body with its validators, compressed once when first asked."""

    body: bytes
    modified: datetime
    content_type: str
    _gzipped: bytes | None = None

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:20] + '"'

    @property
    def last_modified(self) -> str:
        return format_datetime(self.modified.astimezone(UTC), usegmt=True)

    def gzipped(self) -> bytes:
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.body, compresslevel=5)
        return self._gzipped


@dataclass(frozen=True, kw_only=True, slots=True)
class SeenRequest:
    path: str
    headers: dict[str, str]
    status: int


@dataclass(kw_only=True)
class GlobeNewswireStandIn:
    """Serve ``releases``; ``add`` more while it runs, ``inject`` faults by path prefix."""

    releases: list[StandInRelease] = field(default_factory=list)
    feed_size: int = 20
    requests: list[SeenRequest] = field(default_factory=list)
    faults: dict[str, Fault] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _served: dict[str, _Served] = field(default_factory=dict)
    _by_org: dict[str, list[StandInRelease]] | None = None
    _by_id: dict[str, StandInRelease] = field(default_factory=dict)
    _waiters: list[tuple[int, asyncio.Future[None]]] = field(default_factory=list)
    base_url: str = ""

    def add(self, *releases: StandInRelease) -> None:
        self.releases.extend(releases)
        self._served = {
            path: got for path, got in self._served.items() if not path.startswith("/RssFeed/")
        }
        self._by_org = None
        self._by_id.update((r.release_id, r) for r in releases)

    def warm(self) -> None:
        """Render every organization feed and release page now, so serving them is instant."""
        for token in {r.org_token for r in self.releases}:
            path = f"/RssFeed/organization/{token}"
            self._feed_body(path, "organization", token, "", self.base_url).gzipped()
        for release in self.releases:
            self._page_body(release).gzipped()

    def inject(self, path_prefix: str, fault: Fault) -> None:
        if fault.kind is FaultKind.GZIP_BOMB:
            _gzip_bomb()  # built now, so serving it is instant
        self.faults[path_prefix] = fault

    def clear_faults(self) -> None:
        self.faults.clear()

    def feed_url(self, kind: str, value: str) -> str:
        return f"{self.base_url}/RssFeed/{kind}/{value}"

    def count(self, path_prefix: str) -> int:
        return sum(1 for r in self.requests if r.path.startswith(path_prefix))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/RssFeed/{kind}/{value}", self._feed)
        app.router.add_get("/RssFeed/{kind}/{value}/{rest:.*}", self._feed)
        app.router.add_get("/news-release/{y}/{m}/{d}/{id}/{org}/en/{slug}", self._page)
        app.router.add_get("/moved/{rest:.*}", self._moved)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound_port = self._runner.addresses[0][1]
        self.base_url = f"http://{host}:{bound_port}"
        return self.base_url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- handlers ------------------------------------------------------------

    def _fault_for(self, path: str) -> Fault | None:
        for prefix, fault in self.faults.items():
            if path.startswith(prefix):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times < 0:
                        del self.faults[prefix]
                        return None
                return fault
        return None

    def _record(self, request: web.Request, status: int) -> None:
        self.requests.append(
            SeenRequest(path=request.path, headers=dict(request.headers), status=status)
        )
        for waiter in [w for w in self._waiters if len(self.requests) >= w[0]]:
            self._waiters.remove(waiter)
            if not waiter[1].done():
                waiter[1].set_result(None)

    async def wait_for_requests(self, count: int) -> None:
        """Until the stand-in has served ``count`` requests in all."""
        if len(self.requests) >= count:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((count, waiter))
        await waiter

    def _select(self, kind: str, value: str, rest: str = "") -> list[StandInRelease]:
        """The feed's items, newest first; ``rest`` may page back (StartDate/Max/Start)."""
        if kind == "organization":
            if self._by_org is None:
                self._by_org = {}
                for release in self.releases:
                    self._by_org.setdefault(release.org_token, []).append(release)
            chosen = list(self._by_org.get(value.lower(), []))
        elif kind == "keyword":
            word = value.lower()
            chosen = [r for r in self.releases if word in (r.title + " " + r.text).lower()]
        else:
            chosen = list(self.releases)
        chosen.sort(key=lambda r: (r.published_at, r.release_id), reverse=True)
        params = _path_params(rest)
        if "startdate" in params:
            since = datetime.strptime(params["startdate"], "%Y%m%d").replace(tzinfo=UTC)
            chosen = [r for r in chosen if r.published_at >= since]
        start = int(params.get("start", 0))
        size = min(int(params.get("max", self.feed_size)), 100)
        return chosen[start : start + size]

    async def _feed(self, request: web.Request) -> web.StreamResponse:
        kind, value = request.match_info["kind"], request.match_info["value"]
        rest = request.match_info.get("rest", "")
        fault = self._fault_for(request.path)
        if fault is not None and fault.kind is FaultKind.NEW_GUIDS:
            items = self._select(kind, value, rest)
            body = render_feed(
                f"GlobeNewswire - {kind} {value}",
                items,
                self._base(request),
                guid_salt=str(len(self.requests)),
            )
            return self._conditional(
                request,
                _Served(body=body, modified=_newest(items), content_type="application/rss+xml"),
            )
        served = self._feed_body(request.path, kind, value, rest, self._base(request))
        if fault is not None:
            return await self._faulty(
                request, fault, served.body, content_type="application/rss+xml"
            )
        return self._conditional(request, served)

    def _feed_body(self, path: str, kind: str, value: str, rest: str, base: str) -> _Served:
        served = self._served.get(path)
        if served is None:
            items = self._select(kind, value, rest)
            body = render_feed(f"GlobeNewswire - {kind} {value}", items, base)
            served = self._served[path] = _Served(
                body=body,
                modified=_newest(items),
                content_type="application/rss+xml; charset=utf-8",
            )
        return served

    def _page_body(self, release: StandInRelease) -> _Served:
        served = self._served.get(release.path)
        if served is None:
            served = self._served[release.path] = _Served(
                body=render_page(release),
                modified=release.published_at,
                content_type="text/html; charset=utf-8",
            )
        return served

    async def _page(self, request: web.Request) -> web.StreamResponse:
        if not self._by_id and self.releases:
            self._by_id.update((r.release_id, r) for r in self.releases)
        release = self._by_id.get(request.match_info["id"])
        fault = self._fault_for(request.path)
        if release is None:
            self._record(request, 404)
            return web.Response(status=404, text="Not Found")
        served = self._page_body(release)
        if fault is not None:
            return await self._faulty(request, fault, served.body, content_type="text/html")
        return self._conditional(request, served)

    async def _moved(self, request: web.Request) -> web.StreamResponse:
        target = "/" + request.match_info["rest"]
        self._record(request, 301)
        raise web.HTTPMovedPermanently(location=target)

    def _base(self, request: web.Request) -> str:
        return self.base_url or f"{request.scheme}://{request.host}"

    def _conditional(self, request: web.Request, served: _Served) -> web.StreamResponse:
        validators = {"ETag": served.etag, "Last-Modified": served.last_modified}
        if _not_modified(request, served.etag, served.modified):
            self._record(request, 304)
            return web.Response(status=304, headers=validators)
        headers = {**validators, "Content-Type": served.content_type}
        body = served.body
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            body = served.gzipped()
            headers["Content-Encoding"] = "gzip"
        self._record(request, 200)
        return web.Response(body=body, headers=headers)

    async def _faulty(
        self, request: web.Request, fault: Fault, body: bytes, *, content_type: str
    ) -> web.StreamResponse:
        kind = fault.kind
        status = {
            FaultKind.SERVER_ERROR: 500,
            FaultKind.UNAVAILABLE: 503,
            FaultKind.RATE_LIMITED: 429,
            FaultKind.NOT_FOUND: 404,
        }.get(kind)
        if status is not None:
            self._record(request, status)
            headers = {"Retry-After": str(fault.retry_after)} if status in (429, 503) else {}
            return web.Response(status=status, text=f"injected {kind}", headers=headers)
        if kind is FaultKind.SLOW:
            await asyncio.sleep(fault.delay)
        elif kind is FaultKind.TRUNCATED:
            body = body[: len(body) // 2]
        elif kind is FaultKind.MALFORMED:
            body = b"<html><body>Service temporarily <b>unavailable</body>" + body[:100]
        elif kind is FaultKind.NON_UTF8:
            body = (
                body.decode("utf-8")
                .encode("latin-1", errors="replace")
                .replace(b"</title>", b" \xe9\xe8\xff</title>", 1)
            )
        elif kind is FaultKind.REDIRECT_LOOP:
            self._record(request, 302)
            looped = request.path.endswith("/loop")
            raise web.HTTPFound(location=request.path[:-5] if looped else request.path + "/loop")
        elif kind is FaultKind.MOVED:
            self._record(request, 301)
            raise web.HTTPMovedPermanently(location=fault.moved_to)
        elif kind is FaultKind.RESET:
            self._record(request, 0)
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)
        elif kind is FaultKind.HUGE:
            return await self._stream_huge(request, fault.size, content_type)
        elif kind is FaultKind.GZIP_BOMB:
            self._record(request, 200)
            return web.Response(
                body=_gzip_bomb(),
                headers={"Content-Encoding": "gzip", "Content-Type": content_type},
            )
        self._record(request, 200)
        return web.Response(body=body, content_type=content_type.split(";")[0])

    async def _stream_huge(
        self, request: web.Request, size: int, content_type: str
    ) -> web.StreamResponse:
        self._record(request, 200)
        response = web.StreamResponse(headers={"Content-Type": content_type})
        await response.prepare(request)
        chunk = b"<item><title>" + b"x" * 65_000 + b"</title></item>\n"
        sent = 0
        try:
            while sent < size:
                await response.write(chunk)
                sent += len(chunk)
        except (ConnectionResetError, RuntimeError):
            return response  # the client stopped reading, as it should
        await response.write_eof()
        return response


def _newest(items: list[StandInRelease]) -> datetime:
    return max((r.published_at for r in items), default=datetime(2000, 1, 1, tzinfo=UTC))


def _path_params(rest: str) -> dict[str, str]:
    """``StartDate/20170101/Max/50/Start/0`` → {"startdate": "20170101", "max": "50", ...}."""
    parts = [part for part in rest.split("/") if part]
    return {
        parts[i].lower(): parts[i + 1]
        for i in range(len(parts) - 1)
        if parts[i].lower() in ("startdate", "max", "start")
    }


def _not_modified(request: web.Request, etag: str, modified: datetime) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        return etag in [tag.strip() for tag in if_none_match.split(",")]
    if_modified_since = request.headers.get("If-Modified-Since")
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        return modified.replace(microsecond=0) <= since
    return False


@cache
def _gzip_bomb() -> bytes:
    """About 100 KB that inflate to 100 MB of zeros."""
    return gzip.compress(bytes(100 * 1024 * 1024), compresslevel=6)


def _rfc822(moment: datetime) -> str:
    """GlobeNewswire's pubDate: no seconds."""
    return moment.astimezone(UTC).strftime("%a, %d %b %Y %H:%M GMT")


def render_feed(
    title: str, releases: Iterable[StandInRelease], base_url: str, *, guid_salt: str | None = None
) -> bytes:
    """RSS 2.0 in the shape of GlobeNewswire's feeds (see GLOBENEWSWIRE.md).

    ``guid_salt`` gives every item a new GUID (a feed that changes its GUIDs).
    """
    items = []
    for release in releases:
        url = base_url + release.path
        guid = url if guid_salt is None else f"{url}?v={guid_salt}"
        teaser = html.escape(release.text.split("\n\n", 1)[0][:600])
        tickers = "".join(
            f'<category domain="http://www.globenewswire.com/rss/stock">{html.escape(t)}</category>'
            for t in release.tickers
        )
        items.append(
            "<item>"
            f'<guid isPermaLink="true">{html.escape(guid)}</guid>'
            f"<link>{html.escape(url)}</link>"
            f"{tickers}<category>Company Announcement</category>"
            f"<title>{html.escape(release.title)}</title>"
            f"<description><![CDATA[<p>{teaser}</p>]]></description>"
            f"<pubDate>{_rfc822(release.published_at)}</pubDate>"
            f"<dc:contributor>{html.escape(release.company)}</dc:contributor>"
            f"<dc:identifier>{release.release_id}</dc:identifier>"
            "<dc:language>en</dc:language><dc:publisher>GlobeNewswire Inc.</dc:publisher>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://dublincore.org/documents/dcmi-namespace/">'
        f"<channel><title>{html.escape(title)}</title><link>{html.escape(base_url)}</link>"
        f"<description>{html.escape(title)}</description><language>en</language>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def render_page(release: StandInRelease) -> bytes:
    """A release page in GlobeNewswire's current layout (see GLOBENEWSWIRE.md §4)."""
    paragraphs = "".join(
        "<p>" + "<br>".join(html.escape(" ".join(line.split())) for line in lines) + "</p>"
        for block in release.text.split("\n\n")
        if (lines := [line for line in block.splitlines() if line.strip()])
    )
    published = release.published_at.astimezone(UTC).isoformat()
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(release.title)}</title>"
        "<script>window.dataLayer = [];</script><style>body{font-family:sans-serif}</style></head>"
        "<body><nav class=main-nav><a href=/>Newsroom</a><a href=/search>Search</a></nav>"
        '<div id="container-article"><div class="main-container-content">'
        f'<div class="main-header-container"><h1>{html.escape(release.title)}</h1>'
        '<p><span class="d-flex justify-content-start"><span class="article-published">'
        f'<time datetime="{published}">{release.published_at:%B %d, %Y %H:%M} ET</time>'
        "</span></span></p></div>"
        f'<div id="main-body-container" class="main-body-container">{paragraphs}</div>'
        "</div></div><footer>© GlobeNewswire, Inc.</footer></body></html>"
    ).encode()

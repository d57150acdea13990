"""An in-memory web for reader tests: sites by host name, every request logged, no sockets.

Names resolve (through the AddressPolicy's injectable resolver) to public
addresses, so the reader's real address policy runs; requests reach the sites
through httpx's MockTransport and are routed by their Host header, which is
how the reader addresses a checked IP while naming the site.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from pipeline.ingest.fetch import AddressPolicy, PoliteClient

Route = tuple[int, dict[str, str], bytes] | Callable[[httpx.Request], tuple[int, dict[str, str], bytes]]


@dataclass
class Hit:
    host: str
    path: str
    headers: dict[str, str]
    address: str  # the IP the request was sent to


@dataclass
class FakeWeb:
    sites: dict[str, dict[str, Route]] = field(default_factory=dict)
    addresses: dict[str, list[str]] = field(default_factory=dict)  # host -> what DNS answers (default public)
    hits: list[Hit] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def resolve(self, host: str, port: int) -> list[str]:
        with self._lock:
            self.lookups.append(host)
            n = len(self.lookups)
        answer = self.addresses.get(host)
        if callable(answer):
            return answer(n)
        if answer is not None:
            return list(answer)
        return [f"93.184.{(hash(host) >> 8) % 200}.{hash(host) % 200 + 1}"]

    def handle(self, request: httpx.Request) -> httpx.Response:
        host_header = request.headers.get("host", "")
        host = host_header.partition("]")[0] + "]" if host_header.startswith("[") else host_header.split(":")[0]
        path = request.url.raw_path.decode()
        with self._lock:
            self.hits.append(Hit(host, path, dict(request.headers), request.url.host))
        route = self.sites.get(host, {}).get(path.split("?")[0])
        if route is None:
            return httpx.Response(404, stream=httpx.ByteStream(b"no"))
        status, headers, body = route(request) if callable(route) else route
        # stream=, not content=: httpx would read (and decode) a content= body before the client sees it
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(body))

    def paths(self, host: str | None = None) -> list[str]:
        return [h.path for h in self.hits if host is None or h.host == host]

    def client(self, allow: str = "", **kw: object) -> PoliteClient:
        opts: dict = dict(user_agent="wirefeed/0.1 (+test)", timeout_s=2.0, max_bytes=10_000, max_redirects=2,
                          per_host_concurrency=2, per_host_delay_s=0.0)
        opts.update(kw)
        return PoliteClient(policy=AddressPolicy(allow, resolver=self.resolve),
                            transport=httpx.MockTransport(self.handle), **opts)

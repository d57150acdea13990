"""HTTP fetching for the reader: safe by default, polite, bounded.

- Refuses private, loopback, link-local, multicast, reserved and cloud-metadata
  addresses (after DNS resolution, and again after every redirect) unless the
  host or network is on the allow-list.
- Caps redirects, response size (decompressed) and time (connect and read).
- Honours ETag / Last-Modified (conditional GET).
- Never puts credentials (URL userinfo, auth headers) in errors or logs.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

# AWS/GCP/Azure metadata live on link-local 169.254.169.254, Alibaba on 100.100.100.200, AWS IPv6 fd00:ec2::254.
_METADATA = {ipaddress.ip_address("100.100.100.200"), ipaddress.ip_address("fd00:ec2::254")}


class FetchError(Exception):
    """A fetch failed; ``kind`` labels the metric (timeout, refused_address, too_large, http_4xx …)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    content: bytes
    content_type: str
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def redact(url: str) -> str:
    """The URL without user:password@, for logs and errors."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url


class AddressPolicy:
    """Which resolved addresses the reader may connect to."""

    def __init__(self, allow: str = "") -> None:
        self.allowed_hosts: set[str] = set()
        self.allowed_nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for item in (x.strip() for x in allow.split(",")):
            if not item:
                continue
            try:
                self.allowed_nets.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                self.allowed_hosts.add(item.lower())

    @staticmethod
    def forbidden(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        return (
            ip in _METADATA
            or ip.is_private
            or ip.is_loopback
            or ip.is_link_local
            or ip.is_multicast
            or ip.is_reserved
            or ip.is_unspecified
        )

    def check(self, url: str) -> None:
        """Raise FetchError unless every address ``url``'s host resolves to is allowed."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError("bad_url", f"not an http(s) URL: {redact(url)}")
        host = parts.hostname.lower()
        if host in self.allowed_hosts:
            return
        try:
            infos = socket.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise FetchError("dns", f"cannot resolve {host}: {exc}") from None
        for info in infos:
            ip = ipaddress.ip_address(info[4][0].split("%")[0])
            if any(ip in net for net in self.allowed_nets):
                continue
            if self.forbidden(ip):
                raise FetchError("refused_address", f"{host} resolves to non-public address {ip}")


class PoliteClient:
    """An httpx client with the policy, caps, per-host concurrency and delay."""

    def __init__(
        self,
        *,
        policy: AddressPolicy,
        user_agent: str,
        timeout_s: float,
        max_bytes: int,
        max_redirects: int,
        per_host_concurrency: int,
        per_host_delay_s: float,
    ) -> None:
        self.policy = policy
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.per_host_delay_s = per_host_delay_s
        self._client = httpx.Client(
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
            follow_redirects=False,
            trust_env=False,
        )
        self._slots: dict[str, threading.BoundedSemaphore] = defaultdict(
            lambda: threading.BoundedSemaphore(per_host_concurrency)
        )
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self._client.close()

    def _wait_turn(self, host: str) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                ready_at = self._last.get(host, 0.0) + self.per_host_delay_s
                if now >= ready_at:
                    self._last[host] = now
                    return
            time.sleep(min(ready_at - now, 1.0))

    def get(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Response:
        """GET with conditional headers; follows at most ``max_redirects`` checked redirects."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        for _ in range(self.max_redirects + 1):
            self.policy.check(url)
            host = (urlsplit(url).hostname or "").lower()
            with self._slots[host]:
                self._wait_turn(host)
                status, location, response = self._get_once(url, headers)
            if status in (301, 302, 303, 307, 308) and location:
                url = urljoin(url, location)
                continue
            return response  # type: ignore[return-value]
        raise FetchError("too_many_redirects", f"more than {self.max_redirects} redirects from {redact(url)}")

    def _get_once(self, url: str, headers: dict[str, str]) -> tuple[int, str | None, Response | None]:
        try:
            with self._client.stream("GET", url, headers=headers) as resp:
                if resp.status_code in (301, 302, 303, 307, 308):
                    return resp.status_code, resp.headers.get("location"), None
                if resp.status_code == 304:
                    return 304, None, Response(url, 304, b"", "", etag_of(resp), resp.headers.get("last-modified"))
                if resp.status_code >= 400:
                    raise FetchError(f"http_{resp.status_code // 100}xx", f"HTTP {resp.status_code} from {redact(url)}")
                declared = resp.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > self.max_bytes:
                    raise FetchError("too_large", f"{redact(url)} declares {declared} bytes > {self.max_bytes}")
                chunks, size = [], 0
                for chunk in resp.iter_bytes():  # decompressed bytes: caps zip bombs too
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FetchError("too_large", f"{redact(url)} is over {self.max_bytes} bytes")
                    chunks.append(chunk)
                body = b"".join(chunks)
                return resp.status_code, None, Response(
                    url, resp.status_code, body, resp.headers.get("content-type", ""),
                    etag_of(resp), resp.headers.get("last-modified"),
                )
        except httpx.TimeoutException:
            raise FetchError("timeout", f"timed out fetching {redact(url)}") from None
        except httpx.HTTPError as exc:
            raise FetchError("network", f"{type(exc).__name__} fetching {redact(url)}") from None


def etag_of(resp: httpx.Response) -> str | None:
    return resp.headers.get("etag")


def decode_body(content: bytes, content_type: str) -> str:
    """Bytes to text: the declared charset, else UTF-8, replacing what does not decode."""
    charset = "utf-8"
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            charset = value.strip().strip('"')
    try:
        return content.decode(charset, errors="replace")
    except LookupError:
        return content.decode("utf-8", errors="replace")

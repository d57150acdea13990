"""HTTP fetching for the reader: safe by default, polite, bounded.

- Refuses private, loopback, link-local, shared (CGNAT), site-local, multicast,
  reserved and cloud-metadata addresses unless the host or network (optionally
  with a port) is on the allow-list. The name is resolved once, checked, and the
  connection goes to that checked address (no second resolution a DNS-rebinding
  server could answer differently); TLS still verifies the certificate for the name.
- Checks every redirect hop the same way, and robots.txt before every request
  when a robots policy is given.
- Caps redirects, the raw and the decoded size (every layer of a stacked
  ``Content-Encoding``), and time: connect, each read, and the whole response.
- Honours ETag / Last-Modified (conditional GET).
- Never puts credentials (URL userinfo, auth headers) in errors or logs.
"""

from __future__ import annotations

import base64
import codecs
import ipaddress
import socket
import threading
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

# AWS/GCP/Azure metadata live on link-local 169.254.169.254, Alibaba on 100.100.100.200, AWS IPv6 fd00:ec2::254.
_METADATA = {ipaddress.ip_address("100.100.100.200"), ipaddress.ip_address("fd00:ec2::254")}
# Not "private" to Python's ipaddress but never a public news site: carrier-grade NAT (RFC 6598,
# cloud VPCs use it) and the deprecated IPv6 site-local range (still routed inside some networks).
_NOT_PUBLIC = [ipaddress.ip_network("100.64.0.0/10"), ipaddress.ip_network("fec0::/10")]
# A URL with any of these characters is refused rather than "repaired": clients disagree on repairs.
_CONTROL = {chr(c) for c in range(0x21)} | {"\x7f"}
_REDIRECTS = (301, 302, 303, 307, 308)
# More stacked encodings than this is an attack, not a server configuration.
MAX_ENCODING_LAYERS = 2
# Codecs Python knows that no web page is written in; some raise whatever the error handler says.
_NOT_PAGE_CHARSETS = {"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape"}


class FetchError(Exception):
    """A fetch failed; ``kind`` labels the metric (timeout, refused_address, too_large, http_4xx …)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind

    @property
    def transient(self) -> bool:
        """Whether asking again later may succeed (then a feed's validators must not advance past it)."""
        return self.kind in ("timeout", "network", "dns", "http_5xx", "http_429", "robots_unavailable")


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
    """The URL without user:password@, for logs, errors, metric labels and records."""
    if "@" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.rpartition("@")[2]
    if "@" not in parts.netloc:
        return url
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, parts.query, parts.fragment))


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``address``) and what to call it (``host``)."""

    url: str
    scheme: str
    host: str
    port: int
    address: str

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"

    def connect_url(self) -> str:
        """The URL with the checked address in place of the name (and no userinfo)."""
        parts = urlsplit(self.url)
        address = f"[{self.address}]" if ":" in self.address else self.address
        return urlunsplit((self.scheme, f"{address}:{self.port}", parts.path or "/", parts.query, ""))


def split_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL, or FetchError('bad_url'): never ValueError/UnicodeError."""
    if not isinstance(url, str) or any(c in _CONTROL for c in url):
        raise FetchError("bad_url", f"URL has spaces or control characters: {redact(str(url))[:200]!r}")
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError as exc:  # port out of range or not a number, bad IPv6 brackets
        raise FetchError("bad_url", f"bad URL {redact(url)[:200]!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        raise FetchError("bad_url", f"not an http(s) URL: {redact(url)[:200]}")
    return scheme, host.lower(), port or (443 if scheme == "https" else 80)


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]).split("%")[0] for info in infos]


def _parse_allow_entry(item: str) -> tuple[str, int | None]:
    """``host``, ``host:port``, ``10.0.0.0/8``, ``10.0.0.0/8:8080``, ``[fd00::/8]:8080``, ``fd00::1``."""
    if item.startswith("["):
        inner, _, rest = item[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        return inner, int(port) if port.isdigit() else None
    if item.count(":") == 1:
        name, _, port = item.partition(":")
        if port.isdigit():
            return name, int(port)
    return item, None


class AddressPolicy:
    """Which resolved addresses (and ports) the reader may connect to."""

    def __init__(self, allow: str = "", resolver: Resolver | None = None) -> None:
        self.resolver = resolver or _system_resolver
        self.allowed_hosts: dict[str, set[int | None]] = defaultdict(set)
        self.allowed_nets: list[tuple[IPNetwork, int | None]] = []
        for item in (x.strip() for x in allow.split(",")):
            if not item:
                continue
            name, port = _parse_allow_entry(item)
            try:
                self.allowed_nets.append((ipaddress.ip_network(name, strict=False), port))
            except ValueError:
                self.allowed_hosts[name.lower()].add(port)

    @staticmethod
    def forbidden(ip: IPAddress) -> bool:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        return (
            ip in _METADATA
            or any(ip in net for net in _NOT_PUBLIC if net.version == ip.version)
            or ip.is_private
            or ip.is_loopback
            or ip.is_link_local
            or ip.is_multicast
            or ip.is_reserved
            or ip.is_unspecified
        )

    def _host_allowed(self, host: str, port: int) -> bool:
        ports = self.allowed_hosts.get(host)
        return bool(ports) and (None in ports or port in ports)

    def _ip_allowed(self, ip: IPAddress, port: int) -> bool:
        return any(ip in net and allowed in (None, port) for net, allowed in self.allowed_nets)

    def check(self, url: str) -> Target:
        """The checked Target for ``url``, or FetchError unless every address its host resolves to is allowed."""
        scheme, host, port = split_url(url)
        try:
            addresses = self.resolver(host, port)
        except (OSError, UnicodeError) as exc:  # gaierror is an OSError; a bad IDNA label a UnicodeError
            raise FetchError("dns", f"cannot resolve {host}: {exc}") from None
        if not addresses:
            raise FetchError("dns", f"{host} has no address")
        named_ok = self._host_allowed(host, port)
        for address in addresses:
            try:
                ip = ipaddress.ip_address(address)
            except ValueError:
                raise FetchError("dns", f"{host} resolved to a non-address {address!r}") from None
            if not named_ok and not self._ip_allowed(ip, port) and self.forbidden(ip):
                raise FetchError("refused_address", f"{host}:{port} resolves to non-public address {ip}")
        return Target(url=url, scheme=scheme, host=host, port=port, address=addresses[0])


class RobotsGate(Protocol):
    """What the client asks before a request (see pipeline.ingest.robots.RobotsCache)."""

    def allowed(self, url: str) -> bool: ...

    def delay(self, scheme: str, host: str, port: int) -> float | None: ...


class HostTurns:
    """Per-host politeness: at most ``concurrency`` requests to one host at once, and each let go at
    least a delay (``delay_s``, or the longer one a caller asks for) after the previous one."""

    def __init__(self, concurrency: int, delay_s: float) -> None:
        self.delay_s = delay_s
        self._slots: dict[str, threading.BoundedSemaphore] = defaultdict(
            lambda: threading.BoundedSemaphore(concurrency)
        )
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    @contextmanager
    def turn(self, host: str, delay_s: float = 0.0) -> Iterator[None]:
        """Hold one of ``host``'s slots, from its turn (the longer of the two delays) to the block's end."""
        with self._slots[host]:
            self.wait(host, max(self.delay_s, delay_s))
            yield

    def wait(self, host: str, delay_s: float) -> None:
        """Block until ``delay_s`` has passed since the last request to ``host`` was let go; it is ours then."""
        while True:
            with self._lock:
                now = time.monotonic()
                ready_at = self._last.get(host, float("-inf")) + delay_s
                if now >= ready_at:
                    self._last[host] = now
                    return
            time.sleep(min(ready_at - now, 1.0))


class PoliteClient:
    """An httpx client with the policy, caps, per-host concurrency and delay, and optional robots.txt."""

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
        deadline_s: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.policy = policy
        self.user_agent = user_agent
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.turns = HostTurns(per_host_concurrency, per_host_delay_s)
        self.deadline_s = deadline_s if deadline_s is not None else max(timeout_s * 2, 30.0)
        self.robots: RobotsGate | None = None
        self.clock: Callable[[], float] = time.monotonic  # the whole-response deadline's clock (tests step it)
        self._client = httpx.Client(
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
            follow_redirects=False,
            trust_env=False,
            # connections are to checked addresses, not names: a pooled TLS connection verified for one
            # name must not carry a request for another name on the same address
            limits=httpx.Limits(max_keepalive_connections=0),
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def get(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Response:
        """GET with conditional headers; follows at most ``max_redirects`` checked redirects."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        for _ in range(self.max_redirects + 1):
            target = self.policy.check(url)
            if self.robots is not None and not self.robots.allowed(url):
                raise FetchError("robots", f"robots.txt of {target.host} disallows {redact(url)}")
            status, location, response = self.fetch_target(target, headers)
            if status in _REDIRECTS:
                if not location:
                    raise FetchError("http_3xx", f"HTTP {status} without a Location from {redact(url)}")
                try:
                    url = urljoin(url, location)
                except ValueError:
                    raise FetchError("bad_url", f"bad redirect from {redact(url)}") from None
                continue
            return response  # type: ignore[return-value]
        raise FetchError("too_many_redirects", f"more than {self.max_redirects} redirects from {redact(url)}")

    def fetch_target(
        self, target: Target, headers: dict[str, str], max_bytes: int | None = None, truncate: bool = False
    ) -> tuple[int, str | None, Response | None]:
        """One request to a checked target, in the host's turn (robots.txt fetches come through here too)."""
        crawl_delay = self.robots.delay(target.scheme, target.host, target.port) if self.robots is not None else None
        with self.turns.turn(target.host, crawl_delay or 0.0):
            return self._get_once(target, headers, max_bytes or self.max_bytes, truncate)

    def _get_once(
        self, target: Target, headers: dict[str, str], max_bytes: int, truncate: bool
    ) -> tuple[int, str | None, Response | None]:
        url = target.url
        request_headers = {**headers, "Host": target.host_header}
        userinfo = urlsplit(url).netloc.rpartition("@")[0]
        if userinfo:  # the URL's credentials as Basic auth, since the connect URL carries none
            request_headers["Authorization"] = "Basic " + base64.b64encode(unquote(userinfo).encode()).decode()
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        deadline = self.clock() + self.deadline_s
        try:
            request = self._client.build_request("GET", target.connect_url(), headers=request_headers,
                                                 extensions=extensions)
            resp = self._client.send(request, stream=True)
        except httpx.TimeoutException:
            raise FetchError("timeout", f"timed out fetching {redact(url)}") from None
        except (httpx.HTTPError, httpx.InvalidURL, ValueError, UnicodeError) as exc:
            raise FetchError("network", f"{type(exc).__name__} fetching {redact(url)}") from None
        try:
            if resp.status_code in _REDIRECTS:
                return resp.status_code, resp.headers.get("location"), None
            if resp.status_code == 304:
                return 304, None, Response(url, 304, b"", "", etag_of(resp), resp.headers.get("last-modified"))
            if resp.status_code >= 400:
                kind = "http_429" if resp.status_code == 429 else f"http_{resp.status_code // 100}xx"
                raise FetchError(kind, f"HTTP {resp.status_code} from {redact(url)}")
            declared = resp.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes and not truncate:
                raise FetchError("too_large", f"{redact(url)} declares {declared} bytes > {max_bytes}")
            raw = self._read_raw(resp, url, max_bytes, deadline, truncate, self.clock)
            body = decode_content(raw, resp.headers.get("content-encoding", ""), max_bytes, truncate)
            return resp.status_code, None, Response(
                url, resp.status_code, body, resp.headers.get("content-type", ""),
                etag_of(resp), resp.headers.get("last-modified"),
            )
        except httpx.TimeoutException:
            raise FetchError("timeout", f"timed out fetching {redact(url)}") from None
        except (httpx.HTTPError, httpx.StreamError) as exc:
            raise FetchError("network", f"{type(exc).__name__} fetching {redact(url)}") from None
        finally:
            resp.close()

    @staticmethod
    def _read_raw(
        resp: httpx.Response, url: str, max_bytes: int, deadline: float, truncate: bool, clock: Callable[[], float]
    ) -> bytes:
        """The body as sent (still encoded), capped in size and in total time (a slow drip is cut)."""
        chunks, size = [], 0
        for chunk in resp.iter_raw():
            size += len(chunk)
            chunks.append(chunk)
            if size > max_bytes:
                if truncate:
                    break
                raise FetchError("too_large", f"{redact(url)} is over {max_bytes} bytes")
            if clock() > deadline:
                raise FetchError("timeout", f"{redact(url)} took longer than the whole-response deadline")
        return b"".join(chunks)


def decode_content(raw: bytes, encoding_header: str, max_bytes: int, truncate: bool = False) -> bytes:
    """Undo ``Content-Encoding`` layer by layer, each layer's output capped at ``max_bytes``.

    httpx's own decoders inflate a whole chunk at once, so a few KB of stacked gzip
    become gigabytes before any size check; here no layer ever holds more than the cap.
    """
    layers = [e.strip().lower() for e in encoding_header.split(",") if e.strip()]
    layers = [e for e in layers if e != "identity"]
    if len(layers) > MAX_ENCODING_LAYERS:
        raise FetchError("too_large", f"{len(layers)} stacked content encodings")
    data = raw
    for layer in reversed(layers):  # the last encoding applied is the first to undo
        if layer in ("gzip", "x-gzip"):
            wbits = [16 + zlib.MAX_WBITS]
        elif layer == "deflate":
            wbits = [zlib.MAX_WBITS, -zlib.MAX_WBITS]  # zlib-wrapped as the RFC says, or raw as some servers send
        else:
            raise FetchError("unsupported_encoding", f"content encoding {layer[:40]!r} not supported")
        data = _inflate(data, wbits, max_bytes, truncate)
    if len(data) > max_bytes:
        if truncate:
            return data[:max_bytes]
        raise FetchError("too_large", f"body is over {max_bytes} bytes")
    return data


def _inflate(data: bytes, wbits: list[int], max_bytes: int, truncate: bool) -> bytes:
    for i, bits in enumerate(wbits):
        inflater = zlib.decompressobj(bits)
        try:
            out = inflater.decompress(data, max_bytes + 1)
        except zlib.error as exc:
            if i + 1 < len(wbits):
                continue
            raise FetchError("bad_encoding", f"cannot decompress: {exc}") from None
        if len(out) > max_bytes or inflater.unconsumed_tail:
            if truncate:
                return out[:max_bytes]
            raise FetchError("too_large", f"decompresses to over {max_bytes} bytes")
        return out
    raise FetchError("bad_encoding", "cannot decompress")  # pragma: no cover - loop always returns or raises


def etag_of(resp: httpx.Response) -> str | None:
    return resp.headers.get("etag")


def decode_body(content: bytes, content_type: str) -> str:
    """Bytes to text: the declared charset when it is a real text encoding, else UTF-8; never raises."""
    charset = "utf-8"
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            charset = value.strip().strip("\"'")
    try:
        # only text encodings: 'idna', 'undefined', 'base64' and friends are codecs too, and raise or mislead
        info = codecs.lookup(charset)
        if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_PAGE_CHARSETS:
            charset = "utf-8"
        return content.decode(charset, errors="replace")
    except (LookupError, UnicodeError, ValueError, TypeError):
        return content.decode("utf-8", errors="replace")

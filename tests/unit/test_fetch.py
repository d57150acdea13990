"""The reader's HTTP client: address policy, redirects, caps, deadlines, conditional GET, no leaked credentials.

HTTP behaviour is tested on an in-memory web (httpx MockTransport, see fakeweb.py);
only the socket-level timeout is tested against a real socket.
"""

from __future__ import annotations

import base64
import gzip
import ipaddress
import socket
import tracemalloc
import zlib

import httpx
import pytest

from pipeline.ingest.fetch import AddressPolicy, FetchError, PoliteClient, decode_body, decode_content, redact
from tests.unit.fakeweb import FakeWeb

HTML = {"Content-Type": "text/html"}


@pytest.mark.parametrize("ip", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                                "100.100.100.200", "::1", "fe80::1", "fd00:ec2::254", "0.0.0.0", "::ffff:10.0.0.1",
                                "100.64.0.1", "100.127.255.254", "fec0::1", "::ffff:100.64.1.1"])
def test_private_loopback_link_local_shared_site_local_and_metadata_addresses_are_forbidden(ip: str) -> None:
    assert AddressPolicy.forbidden(ipaddress.ip_address(ip))


@pytest.mark.parametrize("ip", ["93.184.216.34", "2606:4700::1111", "100.128.0.1"])
def test_public_addresses_are_allowed(ip: str) -> None:
    assert not AddressPolicy.forbidden(ipaddress.ip_address(ip))


def test_loopback_is_refused_by_default_and_allowed_by_the_allow_list() -> None:
    with pytest.raises(FetchError) as info:
        AddressPolicy("").check("http://127.0.0.1:9/feed")
    assert info.value.kind == "refused_address"
    AddressPolicy("127.0.0.0/8").check("http://127.0.0.1:9/feed")
    AddressPolicy("localhost").check("http://localhost:9/feed")


@pytest.mark.parametrize("entry", ["127.0.0.1:8080", "127.0.0.0/8:8080", "localhost:8080", "[::1]:8080"])
def test_an_allow_list_entry_with_a_port_opens_that_port_only(entry: str) -> None:
    host = "[::1]" if "::1" in entry else "localhost" if "localhost" in entry else "127.0.0.1"
    policy = AddressPolicy(entry, resolver=lambda h, p: ["::1" if "::1" in entry else "127.0.0.1"])
    assert policy.check(f"http://{host}:8080/feed").address in ("127.0.0.1", "::1")
    with pytest.raises(FetchError) as info:
        policy.check(f"http://{host}:9092/")
    assert info.value.kind == "refused_address"


def test_non_http_urls_are_refused() -> None:
    with pytest.raises(FetchError):
        AddressPolicy("").check("file:///etc/passwd")


@pytest.mark.parametrize("url", ["https://wire.example:99999/a", "https://wire.example:abc/a", "http://[::1/a",
                                 "https://wire.example/a\nb", "https://wire.example/a\x00", "https://wire.example/ a",
                                 "https://wire.example:-1/a"])
def test_hostile_urls_are_a_bad_url_fetch_error_not_a_crash(url: str) -> None:
    web = FakeWeb()
    with pytest.raises(FetchError) as info:
        web.client().get(url)
    assert info.value.kind == "bad_url"
    assert web.hits == []


def test_the_connection_goes_to_the_address_that_was_checked_not_a_second_lookup() -> None:
    # DNS rebinding: the first answer is public, any later one points inside; only one lookup may happen
    web = FakeWeb({"wire.example": {"/a": (200, HTML, b"ok")}})
    web.addresses["wire.example"] = lambda n: ["93.184.216.34"] if n == 1 else ["127.0.0.1"]
    assert web.client().get("https://wire.example/a").content == b"ok"
    [hit] = web.hits
    assert hit.address == "93.184.216.34" and hit.headers["host"] == "wire.example"
    assert web.lookups == ["wire.example"]


def test_tls_is_verified_for_the_name_while_connecting_to_the_checked_address() -> None:
    seen = {}

    def record(request: httpx.Request) -> httpx.Response:
        seen.update(request.extensions)
        return httpx.Response(200, stream=httpx.ByteStream(b"ok"))

    client = PoliteClient(policy=AddressPolicy(resolver=lambda h, p: ["93.184.216.34"]), user_agent="t",
                          timeout_s=2, max_bytes=100, max_redirects=0, per_host_concurrency=1, per_host_delay_s=0,
                          transport=httpx.MockTransport(record))
    client.get("https://wire.example/a")
    assert seen["sni_hostname"] == "wire.example"


def test_a_name_resolving_to_any_forbidden_address_is_refused() -> None:
    web = FakeWeb({"wire.example": {"/a": (200, HTML, b"ok")}})
    web.addresses["wire.example"] = ["93.184.216.34", "10.0.0.7"]
    with pytest.raises(FetchError) as info:
        web.client().get("https://wire.example/a")
    assert info.value.kind == "refused_address" and web.hits == []


def test_a_redirect_to_a_forbidden_address_is_refused() -> None:
    web = FakeWeb({"wire.example": {"/feed": (302, {"Location": "http://internal.example/secret"}, b"")},
                   "internal.example": {"/secret": (200, HTML, b"secret")}})
    web.addresses["internal.example"] = ["10.0.0.5"]
    with pytest.raises(FetchError) as info:
        web.client().get("https://wire.example/feed")
    assert info.value.kind == "refused_address"
    assert web.paths("internal.example") == []


def test_redirects_are_capped() -> None:
    web = FakeWeb({"wire.example": {"/loop": (302, {"Location": "/loop"}, b"")}})
    with pytest.raises(FetchError) as info:
        web.client().get("https://wire.example/loop")
    assert info.value.kind == "too_many_redirects"
    assert len(web.hits) == 3


def test_a_redirect_to_a_bad_port_is_a_bad_url() -> None:
    web = FakeWeb({"wire.example": {"/a": (301, {"Location": "https://wire.example:70000/b"}, b"")}})
    with pytest.raises(FetchError) as info:
        web.client().get("https://wire.example/a")
    assert info.value.kind == "bad_url"


def test_responses_over_the_size_cap_are_refused_even_when_compressed() -> None:
    web = FakeWeb({"wire.example": {
        "/big": (200, {}, b"x" * 20_000),
        "/bomb": (200, {"Content-Encoding": "gzip"}, gzip.compress(b"a" * 1_000_000)),
        "/deflate": (200, {"Content-Encoding": "deflate"}, zlib.compress(b"a" * 1_000_000)),
    }})
    for path in ("/big", "/bomb", "/deflate"):
        with pytest.raises(FetchError) as info:
            web.client().get("https://wire.example" + path)
        assert info.value.kind == "too_large"


def test_a_stacked_gzip_bomb_never_holds_more_than_the_cap_in_memory() -> None:
    # 100 MB of zeros in two gzip layers is a few hundred bytes on the wire
    bomb = gzip.compress(gzip.compress(b"\0" * 100_000_000, compresslevel=9), compresslevel=9)
    assert len(bomb) < 7_000
    web = FakeWeb({"wire.example": {"/bomb": (200, {"Content-Encoding": "gzip, gzip"}, bomb)}})
    tracemalloc.start()
    try:
        with pytest.raises(FetchError) as info:
            web.client(max_bytes=1_000_000).get("https://wire.example/bomb")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info.value.kind == "too_large"
    assert peak < 20_000_000


def test_layered_encodings_within_the_cap_are_decoded_in_order() -> None:
    body = b"<html>ok</html>"
    assert decode_content(gzip.compress(zlib.compress(body)), "deflate, gzip", 100) == body
    assert decode_content(zlib.compress(body)[2:-4], "deflate", 100) == body  # raw deflate, as some servers send
    with pytest.raises(FetchError, match="stacked"):
        decode_content(body, "gzip, gzip, gzip", 100)
    with pytest.raises(FetchError) as info:
        decode_content(body, "br", 100)
    assert info.value.kind == "unsupported_encoding"


def test_a_slow_drip_is_cut_at_the_whole_response_deadline() -> None:
    ticks = iter(range(0, 10_000, 7))  # each chunk arrives 7 s after the one before: no read ever times out

    def drip(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=iter([b"x"] * 1000))

    client = PoliteClient(policy=AddressPolicy(resolver=lambda h, p: ["93.184.216.34"]), user_agent="t",
                          timeout_s=10, max_bytes=100_000, max_redirects=0, per_host_concurrency=1,
                          per_host_delay_s=0, deadline_s=30, transport=httpx.MockTransport(drip))
    client.clock = lambda: float(next(ticks))
    with pytest.raises(FetchError, match="deadline") as info:
        client.get("https://slow.example/a")
    assert info.value.kind == "timeout"


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as listener:  # accepts connections (backlog) but never reads or answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        client = PoliteClient(policy=AddressPolicy("127.0.0.1"), user_agent="t", timeout_s=0.5, max_bytes=100,
                              max_redirects=0, per_host_concurrency=1, per_host_delay_s=0)
        with pytest.raises(FetchError) as info:
            client.get(f"http://127.0.0.1:{port}/slow")
    assert info.value.kind == "timeout" and info.value.transient


def test_etag_and_last_modified_are_sent_back_and_304_means_not_modified() -> None:
    def conditional(req: httpx.Request) -> tuple[int, dict[str, str], bytes]:
        if req.headers.get("If-None-Match") == '"v1"':
            return 304, {}, b""
        return 200, {"ETag": '"v1"', "Last-Modified": "Tue, 18 Jun 2024 10:00:00 GMT"}, b"<rss/>"

    web = FakeWeb({"wire.example": {"/feed": conditional}})
    c = web.client()
    first = c.get("https://wire.example/feed")
    assert (first.status, first.etag) == (200, '"v1"')
    second = c.get("https://wire.example/feed", etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified
    assert web.hits[1].headers.get("if-modified-since") == "Tue, 18 Jun 2024 10:00:00 GMT"


@pytest.mark.parametrize(("status", "kind", "transient"), [(404, "http_4xx", False), (503, "http_5xx", True),
                                                           (429, "http_429", True)])
def test_http_errors_have_a_kind_and_say_whether_asking_again_may_help(status: int, kind: str,
                                                                       transient: bool) -> None:
    web = FakeWeb({"wire.example": {"/a": (status, {}, b"")}})
    with pytest.raises(FetchError) as info:
        web.client().get("https://wire.example/a")
    assert (info.value.kind, info.value.transient) == (kind, transient)


def test_credentials_never_appear_in_errors_but_are_sent_as_basic_auth() -> None:
    assert redact("https://user:s3cret@wire.example/feed?x=1") == "https://wire.example/feed?x=1"
    assert redact("https://user:s3cret@wire.example:8443/feed") == "https://wire.example:8443/feed"
    web = FakeWeb({"wire.example": {"/feed": (200, {}, b"<rss/>")}})
    client = web.client()
    with pytest.raises(FetchError) as info:
        client.get("https://user:s3cret@wire.example/missing")
    assert "s3cret" not in str(info.value)
    client.get("https://user:s3cret@wire.example/feed")
    assert web.hits[-1].headers["authorization"] == "Basic " + base64.b64encode(b"user:s3cret").decode()


@pytest.mark.parametrize("charset", ["undefined", "idna", "punycode", "base64", "bogus", "utf-8", '"utf-8"'])
def test_any_declared_charset_decodes_without_raising(charset: str) -> None:
    assert decode_body("héllo".encode(), f"text/html; charset={charset}") == "héllo"

"""The reader's HTTP client: address policy, redirects, caps, conditional GET, no leaked credentials."""

from __future__ import annotations

import gzip
import ipaddress

import pytest

from pipeline.ingest.fetch import AddressPolicy, FetchError, PoliteClient, redact
from tests.helpers import Routes


def client(allow: str = "127.0.0.1", **kw: object) -> PoliteClient:
    opts = dict(user_agent="t", timeout_s=2.0, max_bytes=10_000, max_redirects=2, per_host_concurrency=2,
                per_host_delay_s=0.0)
    opts.update(kw)
    return PoliteClient(policy=AddressPolicy(allow), **opts)  # type: ignore[arg-type]


@pytest.mark.parametrize("ip", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                                "100.100.100.200", "::1", "fe80::1", "fd00:ec2::254", "0.0.0.0", "::ffff:10.0.0.1"])
def test_private_loopback_link_local_and_metadata_addresses_are_forbidden(ip: str) -> None:
    assert AddressPolicy.forbidden(ipaddress.ip_address(ip))


@pytest.mark.parametrize("ip", ["93.184.216.34", "2606:4700::1111"])
def test_public_addresses_are_allowed(ip: str) -> None:
    assert not AddressPolicy.forbidden(ipaddress.ip_address(ip))


def test_loopback_is_refused_by_default_and_allowed_by_the_allow_list() -> None:
    with pytest.raises(FetchError) as info:
        AddressPolicy("").check("http://127.0.0.1:9/feed")
    assert info.value.kind == "refused_address"
    AddressPolicy("127.0.0.0/8").check("http://127.0.0.1:9/feed")
    AddressPolicy("localhost").check("http://localhost:9/feed")


def test_non_http_urls_are_refused() -> None:
    with pytest.raises(FetchError):
        AddressPolicy("").check("file:///etc/passwd")


def test_a_redirect_to_a_forbidden_address_is_refused() -> None:
    # localhost is allowed by name; the redirect target 127.0.0.1 is not on the list
    with Routes({}) as target, Routes({"/feed": (302, {}, b"")}) as srv:
        srv.routes["/feed"] = (302, {"Location": target.url("/secret")}, b"")
        with pytest.raises(FetchError) as info:
            client(allow="localhost").get(srv.url("/feed", host="localhost"))
        assert info.value.kind == "refused_address"
        assert not target.hits


def test_redirects_are_capped() -> None:
    with Routes({}) as srv:
        srv.routes["/loop"] = (302, {"Location": "/loop"}, b"")
        with pytest.raises(FetchError) as info:
            client().get(srv.url("/loop"))
        assert info.value.kind == "too_many_redirects"
        assert len(srv.hits) == 3


def test_responses_over_the_size_cap_are_refused_even_when_compressed() -> None:
    bomb = gzip.compress(b"a" * 1_000_000)
    with Routes({"/big": (200, {}, b"x" * 20_000),
                 "/bomb": (200, {"Content-Encoding": "gzip"}, bomb)}) as srv:
        for path in ("/big", "/bomb"):
            with pytest.raises(FetchError) as info:
                client().get(srv.url(path))
            assert info.value.kind == "too_large"


def test_etag_and_last_modified_are_sent_back_and_304_means_not_modified() -> None:
    def conditional(req):  # noqa: ANN001, ANN202
        if req.headers.get("If-None-Match") == '"v1"':
            return 304, {}, b""
        return 200, {"ETag": '"v1"', "Last-Modified": "Tue, 18 Jun 2024 10:00:00 GMT"}, b"<rss/>"

    with Routes({"/feed": conditional}) as srv:
        c = client()
        first = c.get(srv.url("/feed"))
        assert (first.status, first.etag) == (200, '"v1"')
        second = c.get(srv.url("/feed"), etag=first.etag, last_modified=first.last_modified)
        assert second.not_modified
        assert srv.hits[1][1].get("If-Modified-Since") == "Tue, 18 Jun 2024 10:00:00 GMT"


def test_slow_servers_time_out() -> None:
    import time

    def slow(req):  # noqa: ANN001, ANN202
        time.sleep(1.5)
        return 200, {}, b"late"

    with Routes({"/slow": slow}) as srv, pytest.raises(FetchError) as info:
        client(timeout_s=0.5).get(srv.url("/slow"))
    assert info.value.kind == "timeout"


def test_http_errors_have_a_kind() -> None:
    with Routes({}) as srv, pytest.raises(FetchError) as info:
        client().get(srv.url("/missing"))
    assert info.value.kind == "http_4xx"


def test_credentials_never_appear_in_errors() -> None:
    assert redact("https://user:s3cret@wire.example/feed?x=1") == "https://wire.example/feed?x=1"
    with Routes({}) as srv, pytest.raises(FetchError) as info:
        client().get(f"http://user:s3cret@127.0.0.1:{srv.port}/missing")
    assert "s3cret" not in str(info.value)

"""Who is asking, by address: forwarded headers count only when a configured proxy sent them.

Behind a reverse proxy every request comes from the proxy's address, and the client's is in
`X-Forwarded-For`. Anyone can send that header, so it is read only from the proxies named in
`GOVCX_TRUSTED_PROXIES`, and read from the right: each trusted proxy appends the address it saw,
so the first address from the right that is not a trusted proxy is the client. Whatever a client
wrote to the left of it is ignored. With no trusted proxies (the default) the header is never read.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(spec: str) -> tuple[Network, ...]:
    """Parse a comma-separated list of addresses and CIDR blocks; raise ValueError naming a bad one."""
    networks = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        try:
            network = ipaddress.ip_network(part, strict=False)
        except ValueError:
            raise ValueError(f"GOVCX_TRUSTED_PROXIES: {part!r} is not an IP address or CIDR block.") from None
        if network.prefixlen == 0:
            raise ValueError(f"GOVCX_TRUSTED_PROXIES: {part!r} trusts every address, so anyone could set their "
                             "own; name your proxies' addresses instead.")
        networks.append(network)
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def forwarded_client(peer: str, forwarded_for: Iterable[str], trusted: Sequence[Network]) -> str | None:
    """Return the client's address when `peer` is a trusted proxy and the header names one, else None."""
    peer_address = _address(peer)
    if not trusted or peer_address is None or not any(peer_address in n for n in trusted):
        return None
    hops = [hop for value in forwarded_for for hop in value.split(",")]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return None  # a hop we cannot read: stop rather than trust what lies beyond it
        if not any(address in n for n in trusted):
            return str(address)
    return None


class TrustedProxyMiddleware:
    """Set the request's client (and scheme) from forwarded headers sent by a trusted proxy."""

    def __init__(self, app: ASGIApp, *, trusted: Sequence[Network]) -> None:
        self.app = app
        self.trusted = tuple(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.trusted and scope["type"] in ("http", "websocket") and scope.get("client"):
            headers = scope["headers"]
            forwarded = [v.decode("latin-1") for k, v in headers if k == b"x-forwarded-for"]
            client = forwarded_client(scope["client"][0], forwarded, self.trusted) if forwarded else None
            if client is not None:
                scope = {**scope, "client": (client, 0)}
                proto = next((v.decode("latin-1").split(",")[-1].strip().lower() for k, v in headers
                              if k == b"x-forwarded-proto"), "")
                if proto in ("http", "https"):
                    scope["scheme"] = proto if scope["type"] == "http" else {"http": "ws", "https": "wss"}[proto]
        await self.app(scope, receive, send)


def client_address(request: Request) -> str:
    """The address a request came from (through trusted proxies), for rate limits."""
    return request.client.host if request.client else "unknown"

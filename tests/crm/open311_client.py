"""A small Open311 GeoReport v2 client, written from the specification alone
(http://wiki.open311.org/GeoReport_v2): it knows the paths, parameters, field names and the two
formats, nothing of govcx."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET


class GeoReportClient:
    def __init__(self, http: Any, endpoint: str, *, format: str = "json", api_key: str | None = None) -> None:  # noqa: A002
        self.http, self.endpoint, self.format, self.api_key = http, endpoint.rstrip("/"), format, api_key

    def _url(self, path: str) -> str:
        return f"{self.endpoint}/{path}.{self.format}"

    def _parse(self, response: Any) -> Any:
        if self.format == "json":
            return response.json()
        root = ET.fromstring(response.content)
        return _from_xml(root)

    def discovery(self) -> Any:
        return self._parse(self.http.get(self._url("discovery")))

    def services(self) -> list[dict[str, Any]]:
        return _as_list(self._parse(self.http.get(self._url("services"))), "service")

    def service_definition(self, service_code: str) -> dict[str, Any]:
        return self._parse(self.http.get(self._url(f"services/{service_code}")))

    def post_request(self, **fields: Any) -> Any:
        response = self.http.post(self._url("requests"), data={"api_key": self.api_key, **fields})
        return response.status_code, _as_list(self._parse(response), "request")

    def token(self, token: str) -> list[dict[str, Any]]:
        return _as_list(self._parse(self.http.get(self._url(f"tokens/{token}"))), "request")

    def requests(self, **params: Any) -> list[dict[str, Any]]:
        return _as_list(self._parse(self.http.get(self._url("requests"), params=params)), "request")

    def request(self, service_request_id: str) -> list[dict[str, Any]]:
        return _as_list(self._parse(self.http.get(self._url(f"requests/{service_request_id}"))), "request")

    def raw(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, self._url(path), **kwargs)
        return response.status_code, _as_list(self._parse(response), "error")


def _from_xml(element: ET.Element) -> Any:
    children = list(element)
    if not children:
        return element.text or ""
    tags = [c.tag for c in children]
    if len(set(tags)) == 1 and len(tags) > 1 or element.tag in ("services", "service_requests", "errors",
                                                               "attributes", "endpoints", "formats"):
        return {tags[0] if tags else "item": [_from_xml(c) for c in children]}
    return {c.tag: _from_xml(c) for c in children}


def _as_list(parsed: Any, item: str) -> list[dict[str, Any]]:
    """JSON answers are lists; XML answers are a root element holding one element per item."""
    if isinstance(parsed, list):
        return parsed
    return parsed.get(item, []) if isinstance(parsed, dict) else []

"""Errors that the router raises (a method an address does not answer) are problem details that say what to do."""

from __future__ import annotations

from collections import defaultdict

from tests.routes import address, routes

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _addresses(app) -> dict[str, str]:  # noqa: ANN001
    """One address for every path some route answers, mapped to the path's template."""
    found = {"/static/govcx.css": "/static"}
    for route in routes(app):
        if route.methods:
            found.setdefault(route.path, route.path)
    return {address(template) if "{" in template else template: template for template in found.values()}


def test_every_405_names_the_methods_the_address_answers_in_allow(client, app):
    refused: dict[str, set[str]] = defaultdict(set)
    answered: dict[str, set[str]] = defaultdict(set)
    allows: dict[str, set[frozenset[str]]] = defaultdict(set)
    problems = []
    for here in _addresses(app):
        for method in METHODS:
            answer = client.request(method, here, follow_redirects=False)
            if answer.status_code != 405:
                answered[here].add(method)
                continue
            refused[here].add(method)
            allows[here].add(frozenset(m.strip() for m in answer.headers.get("allow", "").split(",") if m.strip()))
            wants_json = here.startswith(("/api/", "/open311/"))
            if wants_json and (answer.headers["content-type"] != "application/problem+json"
                               or (method != "HEAD" and method not in answer.json()["detail"])):
                problems.append((method, here))

    assert refused and not problems, problems
    for here in refused:
        # One Allow for the address, and it is exactly the methods that did not get a 405.
        assert allows[here] == {frozenset(answered[here])}, (here, allows[here], answered[here])

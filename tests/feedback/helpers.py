"""Drive the survey pages the way a browser without JavaScript does."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
_HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')


def answer_page(client: TestClient, page: str, answers: dict[str, object]):  # noqa: ANN201
    """Open the survey page at `page`, then post its form back with `answers` (lists for checkboxes)."""
    html = client.get(page).text
    form = {name: value for name, value in _HIDDEN.findall(html)}
    form["website"] = ""
    action = re.search(r'<form class="usa-form usa-form--large" method="post" action="([^"]+)"', html).group(1)
    data = {**form, **{k: v for k, v in answers.items()}}
    assert _FORM_TOKEN.search(html)
    return client.post(action, data=data, follow_redirects=False)

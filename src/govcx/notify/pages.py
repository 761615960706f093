"""Notify pages: the citizen's inbox, preferences and recommendations; staff see a person's."""

from __future__ import annotations

from govcx.web.templating import page_router

router = page_router()

"""The web shell: layout, navigation, sign-in, templates and static assets."""

from fastapi import FastAPI


def mount_web(app: FastAPI) -> None:
    """Attach the pages and static assets to `app`."""

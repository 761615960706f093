"""The web shell: layout, navigation, sign-in, templates and static assets."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from govcx.core.crypto import derive_key
from govcx.crm.pages import router as crm_pages
from govcx.registry.pages import router as registry_pages
from govcx.web.error_pages import install_error_pages
from govcx.web.pages import router as shell_pages
from govcx.web.ratelimit import SignInLimiter

STATIC_DIR = Path(__file__).parent / "static"


def mount_web(app: FastAPI) -> None:
    """Attach the pages, their error pages and the static assets to `app`."""
    settings = app.state.settings
    app.state.sign_in_limiter = SignInLimiter(
        rule=settings.rate_limit_sign_in, account_rule=settings.rate_limit_sign_in_account,
        storage_url=settings.rate_limit_storage_url, key=derive_key(settings.secret, "govcx sign-in limits"),
    )
    install_error_pages(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(shell_pages)
    app.include_router(registry_pages)
    app.include_router(crm_pages)

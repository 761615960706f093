"""Vault pages: the person's own data, every fact with where it came from."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from govcx.core.auth import CurrentCitizen
from govcx.core.deps import CipherDep, SessionDep
from govcx.vault import service
from govcx.web.templating import page_router, render

router = page_router()


@router.get("/me/data")
def my_data(request: Request, me: CurrentCitizen, session: SessionDep, cipher: CipherDep) -> Response:
    facts = service.current_facts(session=session, cipher=cipher, subject_id=me.person_id)
    return render(request, "vault/my_data.html", {"facts": facts})

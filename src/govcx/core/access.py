"""What each part of the console needs, said once: the page checks it, the navigation offers by it.

A page that refuses someone must never be offered to them, and a link hidden from someone must be
one they could not open: both follow from the same `Access`, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from govcx.core.accounts import Scope
from govcx.core.errors import Forbidden


class Holder(Protocol):
    """Anyone with scopes and, perhaps, an agency: a signed-in member of staff, a key, a staff account."""

    @property
    def scopes(self) -> frozenset[Scope]: ...

    agency_id: UUID | None


@dataclass(frozen=True)
class Access:
    """A scope, and for an agency's own work (a case queue), an agency to do it for."""

    scope: Scope
    agency_work: bool = False
    # Said to someone with the scope but no agency (a platform account) when the work is an agency's.
    no_agency: str = "This is an agency's own work: sign in as a member of an agency's staff."

    def allows(self, holder: Holder | None) -> bool:
        return holder is not None and self.scope in holder.scopes and (
            not self.agency_work or holder.agency_id is not None)

    def require(self, holder: Holder) -> None:
        """Refuse (403) unless `holder` may: the page's check, and the navigation's reason to offer it."""
        if self.scope not in holder.scopes:
            raise Forbidden(f"This action needs the '{self.scope.value}' permission.", required_scope=self.scope.value)
        if self.agency_work and holder.agency_id is None:
            raise Forbidden(self.no_agency)


FIND_PERSONS = Access(Scope.REGISTRY_READ)
# A person's timeline and any case, followed (read) by any agency's staff who hold crm:read.
FOLLOW_CASES = Access(Scope.CRM_READ)
# The case queue, "my cases", assignments, recording contacts and filing cases: an agency's own work.
WORK_CASES = Access(Scope.CRM_WRITE, agency_work=True,
                    no_agency="Case queues belong to agencies: sign in as a member of an agency's staff.")
SEE_CX = Access(Scope.CX_READ)
KEEP_LEGAL_BASES = Access(Scope.LEGAL_BASIS_ADMIN)
# The administration pages: agencies, staff, keys, surveys, rules and templates.
ADMINISTER = Access(Scope.STAFF_MANAGE)

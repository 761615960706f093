"""Every table govcx has, imported in one place so Alembic and tests see the whole schema."""

from govcx.core import accounts  # noqa: F401
from govcx.core import sessions  # noqa: F401
from govcx.core import events  # noqa: F401
from govcx.core.db import Base
from govcx.crm import models as crm_models  # noqa: F401
from govcx.feedback import models as feedback_models  # noqa: F401
from govcx.registry import models as registry_models  # noqa: F401
from govcx.vault import models as vault_models  # noqa: F401
from govcx.consent import models as consent_models  # noqa: F401
from govcx.exchange import models as exchange_models  # noqa: F401
from govcx.notify import models as notify_models  # noqa: F401
from govcx.admin import models as admin_models  # noqa: F401
from govcx.journeys import models as journeys_models  # noqa: F401
from govcx.journeys.proactive import models as proactive_models  # noqa: F401

metadata = Base.metadata

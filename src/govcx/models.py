"""Every table govcx has, imported in one place so Alembic and tests see the whole schema."""

from govcx.core import accounts  # noqa: F401
from govcx.core.db import Base
from govcx.feedback import models as feedback_models  # noqa: F401
from govcx.registry import models as registry_models  # noqa: F401

metadata = Base.metadata

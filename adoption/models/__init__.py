"""The domain models, split by entity and re-exported here."""

from .families import Checkpoint, ModelFamily
from .geography import Country, Region
from .moderation import ChangeRequest, ModerationEvent
from .organizations import Organization
from .records import Adoption, Evidence

__all__ = [
    "Adoption",
    "ChangeRequest",
    "Checkpoint",
    "Country",
    "Evidence",
    "ModelFamily",
    "ModerationEvent",
    "Organization",
    "Region",
]

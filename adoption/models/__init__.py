"""The domain models, split by entity and re-exported here."""

from .accounts import AccountSettings
from .families import Checkpoint, ModelFamily
from .geography import Country, Region
from .hub import HubFigure, HubSnapshot
from .imports import ImportBatch
from .moderation import ChangeRequest, ModerationEvent
from .organizations import Organization, OrganizationMerge
from .queue import UnsentTask
from .records import Adoption, Evidence
from .releases import Release
from .summary import AdopterPresence, MapDelta, MapSummary, PublicationSpan, RegistryDataVersion
from .webhooks import Webhook, WebhookDelivery

__all__ = [
    "AccountSettings",
    "Adoption",
    "AdopterPresence",
    "ChangeRequest",
    "Checkpoint",
    "Country",
    "Evidence",
    "HubFigure",
    "HubSnapshot",
    "ImportBatch",
    "MapDelta",
    "MapSummary",
    "ModelFamily",
    "ModerationEvent",
    "Organization",
    "OrganizationMerge",
    "PublicationSpan",
    "Region",
    "Release",
    "RegistryDataVersion",
    "UnsentTask",
    "Webhook",
    "WebhookDelivery",
]

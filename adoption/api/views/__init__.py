"""API v1 views: thin viewsets that read through the visibility querysets and write through the services.

Objects a caller may not see answer 404 (never 403), so ids of others' submissions do not leak.
Versioned objects carry an ETag (their version); a write may send it back as If-Match (or as a
`version` field) and is refused with 412 when the object changed in between.
"""

from .auth import (  # noqa: F401
    TokenView,
)
from .catalogue import (  # noqa: F401
    CatalogueViewSet,
    CheckpointViewSet,
    CountryViewSet,
    FamilyViewSet,
    OrganizationViewSet,
    RegionViewSet,
)
from .ecosystem import FamiliesView, NewDerivativesView, SharesView, SnapshotsView  # noqa: F401
from .imports import ImportViewSet  # noqa: F401
from .records import (  # noqa: F401
    AdoptionViewSet,
    ChangeRequestViewSet,
    EvidenceViewSet,
    SubmissionViewSet,
)
from .releases import ReleaseViewSet  # noqa: F401
from .root import ApiRootView  # noqa: F401
from .webhooks import WebhookViewSet  # noqa: F401

"""Serializers of the API: small output serializers (with nested "brief" objects) and strict input
serializers. Inputs only validate and look things up; every write is a service call in the views.
"""

from .catalogue import (  # noqa: F401
    CheckpointBriefSerializer,
    CheckpointInputSerializer,
    CheckpointSerializer,
    CountryBriefSerializer,
    CountrySerializer,
    FamilyBriefSerializer,
    FamilyInputSerializer,
    FamilySerializer,
    OrganizationBriefSerializer,
    OrganizationInputSerializer,
    OrganizationMergeSerializer,
    OrganizationSerializer,
    RegionSerializer,
)
from .fields import (  # noqa: F401
    CheckpointRefField,
    CountryRefField,
    FamilyRefField,
    OrganizationRefField,
    PartialDateField,
    StrictInputMixin,
    VersionInputMixin,
    not_future,
)
from .imports import ImportBatchSerializer, ImportInputSerializer  # noqa: F401
from .moderation import (  # noqa: F401
    AdoptionHistorySerializer,
    AdoptionVersionSerializer,
    ChangeRequestInputSerializer,
    ChangeRequestSerializer,
    ErrorSerializer,
    ModerationEventSerializer,
    StaleVersionErrorSerializer,
    TokenInputSerializer,
    TokenSerializer,
    TransitionErrorSerializer,
    ValidationErrorSerializer,
)
from .records import (  # noqa: F401
    ActionInputSerializer,
    AdoptionDetailSerializer,
    AdoptionSerializer,
    DuplicateSerializer,
    EvidenceInputSerializer,
    EvidenceRowSerializer,
    EvidenceSerializer,
    HubCheckSerializer,
    NewAdopterSerializer,
    SubmissionCreateSerializer,
    SubmissionDetailSerializer,
    SubmissionSerializer,
    SubmissionUpdateSerializer,
    submission_arguments,
)
from .releases import ReleaseFileSerializer, ReleaseSerializer  # noqa: F401
from .webhooks import (  # noqa: F401
    WebhookDeliverySerializer,
    WebhookInputSerializer,
    WebhookSerializer,
)

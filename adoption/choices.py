"""Choice sets of the domain, as TextChoices with lowercase snake values (the API's values)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RegionLevel(models.TextChoices):
    WORLD = "world", _("World")
    REGION = "region", _("Region")
    SUBREGION = "subregion", _("Sub-region")
    INTERMEDIATE = "intermediate", _("Intermediate region")


class OrganizationKind(models.TextChoices):
    GOVERNMENT = "government", _("Government")
    PUBLIC_PROGRAMME = "public_programme", _("Public programme")
    UNIVERSITY = "university", _("University")
    RESEARCH_INSTITUTE = "research_institute", _("Research institute")
    STARTUP = "startup", _("Startup")
    COMPANY = "company", _("Company")
    NGO = "ngo", _("NGO")
    CONSORTIUM = "consortium", _("Consortium")


class Relation(models.TextChoices):
    # Translators: how a derived model builds on an open-weight base model. A fine-tune trains the base
    # model further on task data (machine-learning term; keep the English term if your language uses it).
    FINE_TUNE = "fine_tune", _("Fine-tune")
    # Translators: training the base model further on a large general corpus (e.g. a new language) before any fine-tune.
    CONTINUED_PRETRAINING = "continued_pretraining", _("Continued pre-training")
    # Translators: knowledge distillation: a smaller model trained to imitate the base model's outputs.
    DISTILLATION = "distillation", _("Distillation")
    # Translators: small trainable layers added to a frozen model (LoRA is a kind of adapter; keep "LoRA").
    ADAPTER = "adapter", _("Adapter (LoRA etc.)")
    # Translators: storing the model's weights with fewer bits so it runs on smaller hardware.
    QUANTIZATION = "quantization", _("Quantization")
    # Translators: model merging: combining the weights of several models into one.
    MERGE = "merge", pgettext_lazy("model merging", "Merge")
    # Translators: the base model used as is, run in a product or service.
    DEPLOYMENT = "deployment", _("Deployment")
    API_INTEGRATION = "api_integration", _("API integration")
    # Translators: a government or organization commits in a policy document to using the model.
    POLICY_COMMITMENT = "policy_commitment", _("Policy commitment")


class Stage(models.TextChoices):
    ANNOUNCED = "announced", _("Announced")
    # Translators: a trial use, before production.
    PILOT = "pilot", _("Pilot")
    PRODUCTION = "production", _("Production")
    DISCONTINUED = "discontinued", _("Discontinued")


class DatePrecision(models.TextChoices):
    YEAR = "year", _("Year")
    MONTH = "month", _("Month")
    DAY = "day", _("Day")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    # Translators: a published record a curator withdrew from the counts; it stays readable with its history.
    RETRACTED = "retracted", _("Retracted")


class Action(models.TextChoices):
    CREATE = "create", _("Create")
    EDIT = "edit", _("Edit")
    SUBMIT = "submit", _("Submit")
    WITHDRAW = "withdraw", _("Withdraw")
    # Translators: a curator takes a submission to review it (the verb).
    CLAIM = "claim", pgettext_lazy("moderation action", "Claim")
    TAKE_OVER = "take_over", _("Take over")
    # Translators: a curator gives a claimed submission back to the review queue (the verb, not a data release).
    RELEASE = "release", pgettext_lazy("moderation action", "Release")
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    REQUEST_CHANGES = "request_changes", _("Request changes")
    # Translators: a curator takes a published record off the maps (it stays readable with its history).
    RETRACT = "retract", _("Retract")
    COMMENT = "comment", _("Comment")
    IMPORT = "import", _("Import")
    CHANGE_APPROVED = "change_approved", _("Change request approved")
    CHANGE_REJECTED = "change_rejected", _("Change request rejected")


class EvidenceKind(models.TextChoices):
    # Translators: the documentation page published with a model's weights (e.g. on Hugging Face).
    MODEL_CARD = "model_card", _("Model card")
    OFFICIAL_ANNOUNCEMENT = "official_announcement", _("Official announcement")
    GOVERNMENT_DOCUMENT = "government_document", _("Government document")
    PAPER = "paper", _("Paper")
    PRESS = "press", _("Press")
    OTHER = "other", _("Other")


class LinkStatus(models.TextChoices):
    UNCHECKED = "unchecked", _("Unchecked")
    OK = "ok", _("OK")
    REDIRECTED = "redirected", _("Redirected")
    BROKEN = "broken", _("Broken")
    BLOCKED = "blocked", _("Blocked")


class DeliveryStatus(models.TextChoices):
    """Where a webhook delivery stands: tried again with backoff until delivered or given up."""

    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    RETRYING = "retrying", _("Failed, will retry")
    FAILED = "failed", _("Failed, given up")
    BLOCKED = "blocked", _("Blocked: not a public address")


class Confidence(models.TextChoices):
    """Derived from evidence, never typed: an official source or model card outranks the press."""

    # Translators: how well a record's evidence supports it, from the kinds of its sources.
    HIGH = "high", _("High: model card or official source")
    MEDIUM = "medium", _("Medium: paper or press")
    LOW = "low", _("Low: other sources only")
    NONE = "none", _("None: no evidence")


EVIDENCE_CONFIDENCE = {
    EvidenceKind.MODEL_CARD: Confidence.HIGH,
    EvidenceKind.OFFICIAL_ANNOUNCEMENT: Confidence.HIGH,
    EvidenceKind.GOVERNMENT_DOCUMENT: Confidence.HIGH,
    EvidenceKind.PAPER: Confidence.MEDIUM,
    EvidenceKind.PRESS: Confidence.MEDIUM,
    EvidenceKind.OTHER: Confidence.LOW,
}
CONFIDENCE_RANK = {Confidence.NONE: 0, Confidence.LOW: 1, Confidence.MEDIUM: 2, Confidence.HIGH: 3}


class ChangeRequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ImportFlag(models.TextChoices):
    """Why an imported row could not be mapped fully; shown to curators."""

    NO_COUNTRY = "no_country", _("Adopter country unknown")
    NO_KIND = "no_kind", _("Adopter kind unknown")
    # Translators: a checkpoint is one released set of a model's weights; a repo id names it on Hugging Face.
    DESCRIBED_CHECKPOINT = "described_checkpoint", _("Checkpoint described, not a repo id")
    MULTI_MODEL = "multi_model", _("One of several families in a multi-model deployment")
    NO_DATE = "no_date", _("No start date in the source")
    UNVERIFIED = "unverified", _("Source marks the record unverified or contested")


def confidence_from_kinds(kinds) -> str:
    """A record's confidence: the strongest of its evidence kinds (none without evidence)."""
    best = Confidence.NONE
    for kind in kinds:
        level = EVIDENCE_CONFIDENCE.get(kind, Confidence.LOW)
        if CONFIDENCE_RANK[level] > CONFIDENCE_RANK[best]:
            best = level
    return best

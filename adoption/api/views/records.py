"""Adoption records: published adoptions, submissions and their workflow actions, change requests."""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from adoption import filtersets, selectors
from adoption.choices import Status
from adoption.models import Adoption, ChangeRequest, Evidence, Organization
from adoption.roles import is_curator
from adoption.services import change_requests, moderation, records
from adoption.services.errors import StaleVersion

from .. import serializers as s
from ..exceptions import Conflict
from ..exports import EXPORT_FORMAT, ExportMixin, export_responses
from ..renderers import ExportContentNegotiation
from ..tables import adoption_plan
from ..throttling import SubmissionThrottle
from .base import (
    COMMENT_EXAMPLE,
    IF_MATCH,
    NEW_ADOPTER_EXAMPLE,
    SUBMISSION_EXAMPLE,
    ApiViewMixin,
    RecordScopedFilterBackend,
    _with_etag,
    errors,
    expected_version,
)


def adoption_queryset(queryset):
    """What the adoption serializers read, in a fixed number of queries whatever the page holds."""
    return queryset.with_related().select_related("reviewer").prefetch_related(
        "evidence", Prefetch("partners", queryset=Organization.objects.select_related("country"))
    )


def _act(service, *, request, adoption, serializer) -> Adoption:
    return service(
        adoption=adoption, user=request.user, comment=serializer.validated_data["comment"],
        expected_version=expected_version(request, serializer),
    )


def _respond(request, adoption: Adoption, *, detail: bool = True, code: int = status.HTTP_200_OK) -> Response:
    """The record as it now stands, read fresh with everything the serializer needs."""
    fresh = adoption_queryset(Adoption.objects.filter(pk=adoption.pk)).get()
    serializer_class = s.SubmissionDetailSerializer if detail else s.SubmissionSerializer
    return _with_etag(Response(serializer_class(fresh, context={"request": request}).data, status=code), fresh)


WORKFLOW = (
    "**The workflow**: a record is a `draft` until its contributor submits it (`submitted`; at least one "
    "source). A curator other than its contributor claims it (`in_review`) and approves it (`published`), "
    "rejects it (`rejected`) or requests changes (`changes_requested`: the contributor edits and submits "
    "again). The contributor may withdraw it before publication; a curator may retract a published record "
    "(`retracted`, it stays readable with its history). `allowed_actions` on each record lists what you may "
    "do now; a refused action answers 409 with the current status."
)
ACTION_SCHEMA = {"request": s.ActionInputSerializer, "parameters": [IF_MATCH], "examples": [COMMENT_EXAMPLE]}


@extend_schema_view(
    list=extend_schema(
        summary="List published adoptions, or export them",
        parameters=[EXPORT_FORMAT],
        responses=export_responses(s.AdoptionSerializer, what="published record", errors=errors(400, 404)),
        description="Published adoption records with their sources, filtered with the registry's parameters "
                    "(several values comma-separated; `region` any UN M49 level), newest first unless `ordering`. "
                    "JSON pages by default; with `format=csv` or `format=ndjson` (or an Accept header naming "
                    "text/csv or application/x-ndjson), every matching record as a streamed download, no pages.",
    ),
    retrieve=extend_schema(summary="One published adoption", responses={200: s.AdoptionDetailSerializer, **errors(404)},
                           description="With `hub_check`: whether the latest Hugging Face Hub snapshot traces the "
                                       "product's repo to the record's family."),
)
class AdoptionViewSet(ExportMixin, ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):
    """Published adoption records with their evidence; retraction, history and change requests."""

    serializer_class = s.AdoptionSerializer
    filterset_class = filtersets.AdoptionFilterSet
    lookup_value_regex = "[0-9]+"
    content_negotiation_class = ExportContentNegotiation
    export_name = "adoptions"

    def export_plan(self):
        return adoption_plan(self.get_export_serializer())

    def get_queryset(self):
        if self.action in ("list", "retrieve"):
            return adoption_queryset(Adoption.objects.published())
        if self.action == "history":
            return Adoption.objects.readable_by(self.request.user)
        return Adoption.objects.visible_to(self.request.user)

    def get_permissions(self):
        if self.action in ("retract", "change_requests"):
            return [IsAuthenticated()]
        return super().get_permissions()

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        data = s.AdoptionDetailSerializer(instance, context=self.get_serializer_context()).data
        return _with_etag(Response(data), instance)

    @extend_schema(**ACTION_SCHEMA, responses={200: s.SubmissionSerializer, **errors(400, 403, 404, 409, 412)},
                   summary="Retract a published adoption",
                   description="Take a published record off the maps, with a reason (curators).")
    @action(detail=True, methods=["post"])
    def retract(self, request, pk=None):
        serializer = s.ActionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        adoption = _act(moderation.adoption_retract, request=request, adoption=self.get_object(),
                        serializer=serializer)
        return _respond(request, adoption, detail=False)

    @extend_schema(responses={200: s.AdoptionHistorySerializer, **errors(404)}, summary="A record's history",
                   description="The moderation log and every saved version of a record that was ever published.")
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def history(self, request, pk=None):
        adoption = self.get_object()
        # The public sees the record as it was published and the public decisions, not its drafts nor who
        # worked on them (as the record page); the contributor and the curators see everything.
        data = {
            "id": adoption.pk, "status": adoption.status, "events": selectors.adoption_events(adoption, request.user),
            "versions": selectors.adoption_versions(adoption, request.user),
        }
        return Response(s.AdoptionHistorySerializer(data).data)

    @extend_schema(request=s.ChangeRequestInputSerializer, examples=[OpenApiExample(
                       "A later stage", request_only=True,
                       value={"stage": "production", "comment": "In production since the launch in March."})],
                   responses={201: s.ChangeRequestSerializer, **errors(400, 404, 409, 413)},
                   summary="Propose a correction",
                   description="Propose corrections to a published record; a curator approves or rejects them.")
    @action(detail=True, methods=["post"], url_path="change-requests", filterset_class=None)
    def change_requests(self, request, pk=None):
        adoption = self.get_object()
        serializer = s.ChangeRequestInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change_request = change_requests.change_request_create(
            adoption=adoption, user=request.user, proposed=serializer.proposed(),
            comment=serializer.validated_data["comment"],
        )
        return Response(s.ChangeRequestSerializer(change_request).data, status=status.HTTP_201_CREATED)


@extend_schema_view(list=extend_schema(
    summary="List the sources of published adoptions, or export them",
    parameters=[EXPORT_FORMAT],
    responses=export_responses(s.EvidenceRowSerializer, what="source", errors=errors(400, 404)),
    description="The sources of the published records, one row each with its record's `adoption_id`, "
                "filtered with the adoptions' filters (the records they keep); JSON pages by default, every "
                "matching source with `format=csv` or `format=ndjson`.",
))
class EvidenceViewSet(ExportMixin, ApiViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The sources of published records, filtered by their records."""

    serializer_class = s.EvidenceRowSerializer
    filterset_class = filtersets.EvidenceFilterSet
    filter_backends = [RecordScopedFilterBackend]
    content_negotiation_class = ExportContentNegotiation
    export_name = "evidence"

    def get_queryset(self):
        # The records' default order (latest start first), then the order the sources were cited in.
        return Evidence.objects.filter(adoption__status=Status.PUBLISHED).order_by(
            "-adoption__started_on", "-adoption_id", "id")


def _workflow_action(name: str, service, summary: str, description: str):
    """A POST /submissions/{id}/{name}/ action calling one moderation service; answers the record as it stands."""

    def view(self, request, pk=None):
        serializer = s.ActionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        adoption = _act(service, request=request, adoption=self.get_object(), serializer=serializer)
        return _respond(request, adoption)

    view.__name__ = name.replace("-", "_")
    view = action(detail=True, methods=["post"], url_path=name, url_name=name, filterset_class=None)(view)
    return extend_schema(
        **ACTION_SCHEMA, responses={200: s.SubmissionDetailSerializer, **errors(400, 403, 404, 409, 412)},
        summary=summary, description=f"{description}\n\n{WORKFLOW}",
    )(view)


@extend_schema_view(
    list=extend_schema(summary="List submissions",
                       responses={200: s.SubmissionSerializer(many=True), **errors(400, 404)},
                       description="Your own records in every status (curators: everyone's; filter with ?status=)."),
    retrieve=extend_schema(summary="One submission", responses={200: s.SubmissionDetailSerializer, **errors(404)}),
    create=extend_schema(
        summary="Propose an adoption",
        request=s.SubmissionCreateSerializer, responses={201: s.SubmissionDetailSerializer, **errors(400, 403, 413)},
        examples=[SUBMISSION_EXAMPLE, NEW_ADOPTER_EXAMPLE],
        description="Propose a record (a draft, or submitted at once with submit=true). The answer lists likely "
                    "duplicates: a warning that never blocks.\n\n"
                    "**The adopter**: give `adopter`, the slug of an organization in /api/v1/organizations/, or, "
                    "when it is not there yet, `new_adopter` (`name`, `kind`, `country` as an ISO alpha-2 code, "
                    "`city`): it is proposed with your record and published with it. Not both.\n\n"
                    "**The model**: `family` (a slug from /api/v1/families/) and optionally `checkpoint` (its id or "
                    "Hugging Face repo id, from /api/v1/checkpoints/?family=...), which must belong to the family.\n\n"
                    f"{WORKFLOW}",
    ),
    partial_update=extend_schema(
        summary="Edit a submission", request=s.SubmissionUpdateSerializer, parameters=[IF_MATCH],
        responses={200: s.SubmissionDetailSerializer, **errors(400, 403, 404, 409, 412, 413)},
        description="Edit your record while it is a draft or sent back for changes; `evidence` replaces the list.",
    ),
)
class SubmissionViewSet(ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Records as their contributors and the curators see them, and the workflow actions on them."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.SubmissionSerializer
    filterset_class = filtersets.SubmissionFilterSet
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        user = self.request.user
        if getattr(self, "swagger_fake_view", False):
            return Adoption.objects.none()
        return adoption_queryset(Adoption.objects.submissions_visible_to(user))

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.action == "create":
            throttles.append(SubmissionThrottle())
        return throttles

    def retrieve(self, request, *args, **kwargs):
        return _respond(request, self.get_object())

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None and self.action == "list" and is_curator(self.request.user):
            # Each row's allowed actions weigh who wrote it (four eyes): read that once for the page.
            selectors.prime_content_authors(page)
        return page

    def create(self, request, *args, **kwargs):
        serializer = s.SubmissionCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        adoption = records.adoption_create(user=request.user, **serializer.service_arguments())
        return _respond(request, adoption, code=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        adoption = self.get_object()
        serializer = s.SubmissionUpdateSerializer(
            adoption, data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        adoption = records.adoption_update(
            adoption=adoption, user=request.user, expected_version=expected_version(request, serializer),
            **serializer.service_arguments(),
        )
        return _respond(request, adoption)

    submit = _workflow_action("submit", moderation.adoption_submit, "Submit for review",
                              "Send a draft (or a record sent back) to the curators; needs a source.")
    withdraw = _workflow_action("withdraw", moderation.adoption_withdraw, "Withdraw a submission",
                                "Take back your record before it is published.")
    claim = _workflow_action("claim", moderation.adoption_claim, "Claim for review",
                             "Take a submission into review (curators; not your own).")
    take_over = _workflow_action("take-over", moderation.adoption_take_over, "Take over a review",
                                 "Take over a record another curator claimed (logged, with the previous holder); "
                                 "only the holder decides on a record in review (curators; not your own).")
    release = _workflow_action("release", moderation.adoption_release, "Release a review",
                               "Give a record you hold in review back to the queue, undecided (its holder).")
    approve = _workflow_action("approve", moderation.adoption_approve, "Approve and publish",
                               "Publish a record under review (curators; not your own).")
    reject = _workflow_action("reject", moderation.adoption_reject, "Reject a submission",
                              "Refuse a submission, saying why (curators; not your own).")
    request_changes = _workflow_action("request-changes", moderation.adoption_request_changes, "Request changes",
                                       "Send a submission back to its contributor, saying what to change (curators).")


CR_ACTION = {
    "request": s.ActionInputSerializer(), "examples": [COMMENT_EXAMPLE],
    "responses": {200: s.ChangeRequestSerializer, **errors(400, 403, 404, 409)},
}


@extend_schema_view(
    list=extend_schema(summary="List change requests",
                       responses={200: s.ChangeRequestSerializer(many=True), **errors(400, 404)},
                       description="Your change requests (curators: all; the queue is ?status=pending)."),
    retrieve=extend_schema(summary="One change request", responses={200: s.ChangeRequestSerializer, **errors(404)}),
)
class ChangeRequestViewSet(ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Proposed corrections to published records and the curators' decisions on them."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.ChangeRequestSerializer
    filterset_class = filtersets.ChangeRequestFilterSet
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        user = self.request.user
        if getattr(self, "swagger_fake_view", False):
            return ChangeRequest.objects.none()
        queryset = ChangeRequest.objects.select_related("created_by", "decided_by")
        return queryset if is_curator(user) else queryset.filter(created_by=user)

    def _decide(self, service, **extra):
        serializer = s.ActionInputSerializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        try:
            change_request = service(
                change_request=self.get_object(), user=self.request.user,
                comment=serializer.validated_data["comment"], **extra,
            )
        except StaleVersion as exc:
            # Not the client's precondition: the record moved on since the proposal was made.
            raise Conflict(str(exc)) from exc
        return Response(s.ChangeRequestSerializer(change_request).data)

    @extend_schema(**CR_ACTION, summary="Approve a change request",
                   description="Apply the proposed values (curators; not your own).")
    @action(detail=True, methods=["post"], filterset_class=None)
    def approve(self, request, pk=None):
        return self._decide(change_requests.change_request_approve)

    @extend_schema(**CR_ACTION, summary="Reject a change request",
                   description="Turn the proposal down, saying why (curators; not your own).")
    @action(detail=True, methods=["post"], filterset_class=None)
    def reject(self, request, pk=None):
        return self._decide(change_requests.change_request_reject)

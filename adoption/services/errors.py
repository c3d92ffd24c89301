"""Errors the services raise; the pages, API and admin turn them into messages and status codes."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

# The words workflow messages put in their sentences (keys: the actions' and statuses' values).
VERBS = {
    "create": pgettext_lazy("workflow verb", "create"), "edit": pgettext_lazy("workflow verb", "edit"),
    "submit": pgettext_lazy("workflow verb", "submit"), "withdraw": pgettext_lazy("workflow verb", "withdraw"),
    "claim": pgettext_lazy("workflow verb", "claim"), "take_over": pgettext_lazy("workflow verb", "take over"),
    "release": pgettext_lazy("workflow verb", "release"), "approve": pgettext_lazy("workflow verb", "approve"),
    "reject": pgettext_lazy("workflow verb", "reject"),
    "request_changes": pgettext_lazy("workflow verb", "request changes"),
    "retract": pgettext_lazy("workflow verb", "retract"), "comment": pgettext_lazy("workflow verb", "comment"),
    "import": pgettext_lazy("workflow verb", "import"), "publish": pgettext_lazy("workflow verb", "publish"),
    "propose a change to": pgettext_lazy("workflow verb", "propose a change to"),
    "apply a change to": pgettext_lazy("workflow verb", "apply a change to"),
    "approve a change request": pgettext_lazy("workflow verb", "approve a change request"),
    "reject a change request": pgettext_lazy("workflow verb", "reject a change request"),
}
STATES = {
    "draft": pgettext_lazy("record state", "draft"), "submitted": pgettext_lazy("record state", "submitted"),
    "in_review": pgettext_lazy("record state", "in review"),
    "changes_requested": pgettext_lazy("record state", "changes requested"),
    "published": pgettext_lazy("record state", "published"), "rejected": pgettext_lazy("record state", "rejected"),
    "withdrawn": pgettext_lazy("record state", "withdrawn"), "retracted": pgettext_lazy("record state", "retracted"),
    "pending": pgettext_lazy("record state", "pending"), "approved": pgettext_lazy("record state", "approved"),
}


def verb_text(action) -> str:
    """An action as the verb of a sentence, in the active language."""
    return str(VERBS.get(str(action), str(action).replace("_", " ")))


def state_text(status) -> str:
    return str(STATES.get(str(status), str(status).replace("_", " ")))


class WorkflowError(Exception):
    """Base of the curation errors."""


class TransitionNotAllowed(WorkflowError):
    """The action is not allowed from the record's current status (API: 409 with the status)."""

    def __init__(self, action: str, status: str):
        self.action, self.status = action, status
        # Translators: e.g. "Cannot approve a record that is withdrawn."
        super().__init__(_("Cannot %(action)s a record that is %(status)s.")
                         % {"action": verb_text(action), "status": state_text(status)})


class ClaimHeld(TransitionNotAllowed):
    """Claims hold (DESIGN §3): a record in review is decided by the curator holding it; anyone else takes
    it over first (API: 409 naming the holder as `claimed_by`)."""

    def __init__(self, action: str, status: str, *, holder: str, yours: bool = False):
        self.action, self.status, self.holder = action, status, holder
        if yours:
            message = _("You already hold this record in review.")
        elif action == "claim":
            message = _("%(holder)s already claimed this record. Take it over instead (the take-over is logged).") % {
                "holder": holder}
        else:
            message = _("%(holder)s claimed this record and is reviewing it: only they can %(action)s now. "
                        "Take it over first (the take-over is logged).") % {"holder": holder,
                                                                           "action": verb_text(action)}
        WorkflowError.__init__(self, message)


class StaleVersion(WorkflowError):
    """The record changed since the client read it (API: 412 or 409); names who changed it."""

    def __init__(self, *, expected: int, current: int, changed_by: str | None):
        self.expected, self.current, self.changed_by = expected, current, changed_by
        values = {"user": changed_by, "expected": expected, "current": current}
        if changed_by:
            message = _("This record was changed by %(user)s since you loaded it (your version %(expected)s, "
                        "now %(current)s). Reload it and apply your change again.") % values
        else:
            message = _("This record was changed since you loaded it (your version %(expected)s, now %(current)s). "
                        "Reload it and apply your change again.") % values
        super().__init__(message)


class ActionForbidden(PermissionDenied):
    """The actor may not do this (API: 403)."""

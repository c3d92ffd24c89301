"""Errors the services raise; the pages, API and admin turn them into messages and status codes."""

from django.core.exceptions import PermissionDenied


class WorkflowError(Exception):
    """Base of the curation errors."""


class TransitionNotAllowed(WorkflowError):
    """The action is not allowed from the record's current status (API: 409 with the status)."""

    def __init__(self, action: str, status: str):
        self.action, self.status = action, status
        super().__init__(f"Cannot {action.replace('_', ' ')} a record that is {status.replace('_', ' ')}.")


class ClaimHeld(TransitionNotAllowed):
    """Claims hold (DESIGN §3): a record in review is decided by the curator holding it; anyone else takes
    it over first (API: 409 naming the holder as `claimed_by`)."""

    def __init__(self, action: str, status: str, *, holder: str, yours: bool = False):
        self.action, self.status, self.holder = action, status, holder
        verb = action.replace("_", " ")
        if yours:
            message = "You already hold this record in review."
        elif action == "claim":
            message = f"{holder} already claimed this record. Take it over instead (the take-over is logged)."
        else:
            message = (f"{holder} claimed this record and is reviewing it: only they can {verb} now. "
                       "Take it over first (the take-over is logged).")
        WorkflowError.__init__(self, message)


class StaleVersion(WorkflowError):
    """The record changed since the client read it (API: 412 or 409); names who changed it."""

    def __init__(self, *, expected: int, current: int, changed_by: str | None):
        self.expected, self.current, self.changed_by = expected, current, changed_by
        who = f" by {changed_by}" if changed_by else ""
        super().__init__(
            f"This record was changed{who} since you loaded it (your version {expected}, now {current}). "
            "Reload it and apply your change again."
        )


class ActionForbidden(PermissionDenied):
    """The actor may not do this (API: 403)."""

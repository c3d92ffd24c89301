"""Errors the services raise; the pages, API and admin turn them into messages and status codes."""

from django.core.exceptions import PermissionDenied


class WorkflowError(Exception):
    """Base of the curation errors."""


class TransitionNotAllowed(WorkflowError):
    """The action is not allowed from the record's current status (API: 409 with the status)."""

    def __init__(self, action: str, status: str):
        self.action, self.status = action, status
        super().__init__(f"Cannot {action.replace('_', ' ')} a record that is {status.replace('_', ' ')}.")


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

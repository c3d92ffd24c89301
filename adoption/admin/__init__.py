"""The admin: catalogue, records with the moderation queue, change requests, the moderation log, webhooks."""

from . import catalogue, moderation, records, webhooks

__all__ = ["catalogue", "moderation", "records", "webhooks"]

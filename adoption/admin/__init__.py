"""The admin: catalogue, records with the moderation queue, change requests, the moderation log, webhooks,
tasks waiting for the broker, bulk proposals."""

from . import catalogue, imports, moderation, queue, records, webhooks

__all__ = ["catalogue", "imports", "moderation", "queue", "records", "webhooks"]

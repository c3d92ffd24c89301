"""The admin: catalogue, records with the moderation queue, change requests, the moderation log, webhooks,
tasks waiting for the broker."""

from . import catalogue, moderation, queue, records, webhooks

__all__ = ["catalogue", "moderation", "queue", "records", "webhooks"]

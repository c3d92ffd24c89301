"""Celery tasks: thin wrappers that take ids and call services (acks_late, retried with backoff)."""

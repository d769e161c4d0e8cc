"""Notifications (DESIGN §6): which email each domain event sends and to whom, the templates, the
outbox the use cases queue into, and the SMTP delivery that drains it."""

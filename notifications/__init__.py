"""Notifications (DESIGN §6): which email each domain event sends and to whom, and which Prefect
event it publishes; the templates; the email outbox the use cases queue into and the SMTP
delivery that drains it; the event outbox and the publisher that posts it to Prefect."""

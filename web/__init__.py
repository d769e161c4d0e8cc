"""The portal where partners act from the personal links in their emails (web/app.py)."""

"""Admin-console registrations of this app (keys: confidentiality/keys_admin.py)."""

from confidentiality import keys_admin  # noqa: F401

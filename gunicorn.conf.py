"""Gunicorn settings shared by `make run` and the production image (gunicorn reads ./gunicorn.conf.py)."""

# The access log leaves out who called the anonymous whistleblowing pages (see compliance.gunicorn_logging).
logger_class = "compliance.gunicorn_logging.PrivacyLogger"

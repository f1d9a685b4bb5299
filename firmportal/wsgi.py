import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firmportal.settings")
application = get_wsgi_application()

# Refuse to start without a usable master key (names the problem instead of failing on first use).
from confidentiality.crypto import check_keys  # noqa: E402

check_keys()

"""FirmPortal's settings plus the voucher-page benchmark's baseline URL (bench/voucher_baseline.py).

Only the benchmark starts gunicorn with these settings; the real page and the baseline are then
served by the same processes, through the same middleware."""

from firmportal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.voucher_baseline"

"""Settings of ``make bench``: the portal's own, plus the benchmark's two measuring views.

``bench/load_bench.py`` starts gunicorn with ``DJANGO_SETTINGS_MODULE=bench.settings``; the
product (``portal.settings``) knows nothing of them.
"""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

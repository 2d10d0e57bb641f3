"""django-tasks-db's ``db_worker``, which also records a heartbeat for ``/healthz``.

The portal app comes before ``django_tasks_db`` in INSTALLED_APPS, so this command takes
the name ``db_worker``: whoever starts the worker the way django-tasks-db documents it gets
the heartbeat too. Before the first task it runs the warm-ups named in
``settings.WORKER_WARM_UP`` (PDF fonts). Options and behaviour are django-tasks-db's.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django.utils.module_loading import import_string
from django_tasks_db.management.commands import db_worker

from portal import memory
from portal.worker import Heartbeat


class Command(db_worker.Command):
    help = "Run a database background worker (tasks of django.tasks) with a heartbeat."

    def handle(self, *args: Any, **options: Any) -> None:
        reloads = options["reload"] and not options["batch"]
        if reloads and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            # The autoreloader's parent only restarts the real worker, its child process.
            super().handle(*args, **options)
            return
        for name in settings.WORKER_WARM_UP:
            import_string(name)()
        memory.release()  # what the warm-ups built and no longer need
        heartbeat = Heartbeat(options["worker_id"])
        heartbeat.start()
        try:
            super().handle(*args, **options)
        finally:
            heartbeat.stop()

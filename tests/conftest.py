"""Named personas shared by all tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from asgiref.local import Local
from django.conf import settings
from django.core.cache import caches
from django.core.management.commands import flush
from django.db import connections
from django.tasks import task_backends
from django.test import Client
from django.utils import translation

from checklist import audit_chain, services, summary
from checklist.models import FitConnectEnvironment, Leistung, Onboarding
from fitconnect.environments import FITKO_ENVIRONMENTS
from fitconnect.sandbox import Sandbox
from portal.models import Membership, Organisation, User

PASSWORD = "Ein-sicheres-Passwort-2026"


def pytest_configure(config: pytest.Config) -> None:
    # Password hashing at production strength would dominate the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Templates find static files unhashed: the hashed names exist only after collectstatic,
    # which the tests of the production server (tests/portal/test_serving.py) run.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Tasks run at once, in the test's thread and transaction (no worker in the tests).
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    # The task backends may have been read during django.setup() (the @task decorators):
    # forget them, or a test run alone would queue its tasks in the database and never run them.
    task_backends.__dict__.pop("settings", None)
    task_backends._settings = None
    task_backends._connections = Local(task_backends.thread_critical)
    # Transactional tests end with ``flush``, which on SQLite deletes every row (PostgreSQL
    # truncates, which row triggers do not see): the one deletion of Protokoll entries the
    # tests allow past the database's guard (checklist.audit_chain).
    original_flush = flush.Command.handle

    def flush_released(self: flush.Command, *args: object, **options: object) -> None:
        with audit_chain.released():
            original_flush(self, *args, **options)

    flush.Command.handle = flush_released  # type: ignore[method-assign]


@dataclass
class World:
    """Two authorities, one IT service provider and the people in them."""

    authority: Organisation
    provider: Organisation
    other_authority: Organisation
    authority_admin: User
    authority_staff: User
    provider_staff: User
    outsider: User
    site_operator: User
    onboarding: Onboarding
    # Reads the onboardings of Hessen (ARS 06): Stadt Musterstadt's, not Landkreis
    # Beispiel's (an authority without an ARS).
    coordination: Organisation
    coordinator: User

    def persona(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)


PERSONAS = [
    "authority_admin",
    "authority_staff",
    "provider_staff",
    "outsider",
    "anonymous",
    "site_operator",
    "coordinator",
]


def run_together(*actions: Callable[[], object], timeout: float = 30) -> None:
    """Run the actions in threads released at the same moment; re-raise any failure."""
    barrier = threading.Barrier(len(actions))
    errors: list[BaseException] = []

    def worker(action: Callable[[], object]) -> None:
        try:
            barrier.wait()
            action()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not errors, errors


def make_user(email: str, name: str, **extra: object) -> User:
    return User.objects.create_user(email, PASSWORD, full_name=name, **extra)


@pytest.fixture(autouse=True)
def _empty_caches() -> None:
    """Every test starts with empty caches: ids and revisions repeat after a rollback."""
    for cache in caches.all():
        cache.clear()


@pytest.fixture(autouse=True)
def _site_language() -> None:
    """Every test starts in the site's language: a request an earlier test made in English
    leaves the thread's language switched (the middleware does not switch it back)."""
    translation.activate(settings.LANGUAGE_CODE)


def fitko_environments() -> None:
    """FITKO's three environments as the migrations seed them. A transactional test (the
    browser tests, the live servers) flushes the database after it, seeded rows included;
    later tests in the same worker get them back here."""
    for position, environment in enumerate(FITKO_ENVIRONMENTS, start=1):
        FitConnectEnvironment.objects.get_or_create(
            key=environment.key,
            defaults={"stage": environment.key, "position": position, **environment.values()},
        )


@pytest.fixture
def world(db: None) -> World:
    fitko_environments()
    authority = Organisation.objects.create(
        name="Stadt Musterstadt",
        slug="stadt-musterstadt",
        kind=Organisation.Kind.AUTHORITY,
        ars="064350014014",
    )
    provider = Organisation.objects.create(
        name="Kommunal-IT GmbH", slug="kommunal-it", kind=Organisation.Kind.PROVIDER
    )
    other = Organisation.objects.create(
        name="Landkreis Beispiel", slug="landkreis-beispiel", kind=Organisation.Kind.AUTHORITY
    )
    people = {
        "authority_admin": (
            make_user("anna@musterstadt.example", "Anna Amtmann"),
            authority,
            "admin",
        ),
        "authority_staff": (
            make_user("bernd@musterstadt.example", "Bernd Beispiel"),
            authority,
            "staff",
        ),
        "provider_staff": (make_user("clara@kommunal-it.example", "Clara Code"), provider, "staff"),
        "outsider": (make_user("dieter@landkreis.example", "Dieter Dritter"), other, "admin"),
    }
    for user, organisation, role in people.values():
        Membership.objects.create(user=user, organisation=organisation, role=role)
    coordination = Organisation.objects.create(
        name="Koordinierungsstelle Hessen",
        slug="koordinierung-hessen",
        kind=Organisation.Kind.COORDINATION,
        regions=["06"],
    )
    coordinator = make_user("kora@koordinierung.example", "Kora Koordina")
    Membership.objects.create(user=coordinator, organisation=coordination, role="admin")
    operator = make_user(
        "betrieb@portal.example", "Petra Plattform", is_staff=True, is_superuser=True
    )
    onboarding = make_onboarding(authority, provider, people["authority_admin"][0])
    return World(
        authority=authority,
        provider=provider,
        other_authority=other,
        authority_admin=people["authority_admin"][0],
        authority_staff=people["authority_staff"][0],
        provider_staff=people["provider_staff"][0],
        outsider=people["outsider"][0],
        site_operator=operator,
        onboarding=onboarding,
        coordination=coordination,
        coordinator=coordinator,
    )


def make_onboarding(
    authority: Organisation,
    provider: Organisation | None,
    creator: User,
    slug: str = "musterstadt-gewerbe",
    name: str = "Gewerbeanmeldung",
) -> Onboarding:
    """Return an onboarding with one Leistung (step 1 not yet complete)."""
    onboarding = services.create_onboarding(
        Onboarding(
            authority=authority, provider=provider, in_house=provider is None, slug=slug, name=name
        ),
        creator,
    )
    Leistung.objects.create(
        onboarding=onboarding,
        key="99050012104000",  # "Gewerbe anmelden", checklist/data/leika.csv
        name="Gewerbe anmelden",
        schema_kind="fim",
        schema_uri="https://schema.fitko.de/fim/s00000092_1.0.schema.json",
        mime_type="application/json",
        regions=["064350014014"],
    )
    summary.store(onboarding)  # the Leistung is written directly, not through the services
    return onboarding


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """The local FIT-Connect stand-in on a free loopback port, shared by the session."""
    state_file = tmp_path_factory.mktemp("fitconnect") / "sandbox-state.json"
    box = Sandbox(state_file=state_file, process_delay=0.05)
    box.start(port=0)
    yield box
    box.stop()


@pytest.fixture
def client_for(world: World):  # type: ignore[no-untyped-def]
    """Return a function that gives a test client signed in as the named persona."""

    def make(name: str) -> Client:
        client = Client()
        user = world.persona(name)
        if user is not None:
            client.force_login(user)
        return client

    return make

"""API tokens for the personas' organisations, and a client that sends them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from portal.models import ApiToken, Organisation
from tests.conftest import World

ALL_SCOPES = list(ApiToken.Scope.values)


class ApiClient:
    """A test client that sends one token as ``Authorization: Bearer``."""

    def __init__(self, token: str | None, **headers: str) -> None:
        self.client = Client()
        self.headers = dict(headers)
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        send = getattr(self.client, method.lower())
        kwargs: dict[str, Any] = {"headers": {**self.headers, **headers}}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        return send(path, **kwargs)

    def get(self, path: str, **headers: str) -> Any:
        return self.call("get", path, **headers)

    def put(self, path: str, body: Any, **headers: str) -> Any:
        return self.call("put", path, body, **headers)

    def post(self, path: str, body: Any, **headers: str) -> Any:
        return self.call("post", path, body, **headers)


def make_token(
    organisation: Organisation, scopes: list[str] | None = None, name: str = "Pipeline"
) -> tuple[ApiToken, str]:
    return ApiToken.create(
        organisation=organisation,
        name=name,
        scopes=ALL_SCOPES if scopes is None else scopes,
        valid_days=30,
        created_by=None,
    )


@pytest.fixture
def api_for(world: World) -> Callable[..., ApiClient]:
    """Return a function that gives an API client with a new token of the named organisation."""

    def make(organisation: str, scopes: list[str] | None = None, **headers: str) -> ApiClient:
        org = {
            "authority": world.authority,
            "provider": world.provider,
            "outsider": world.other_authority,
        }[organisation]
        _token, plain = make_token(org, scopes, name=f"{organisation} {scopes}")
        return ApiClient(plain, **headers)

    return make

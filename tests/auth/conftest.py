"""Fixtures of the authentication tests: two populated restaurants."""

from __future__ import annotations

import pytest

from tests.auth.tenants import Tenant, make_tenant
from tests.conftest import Api


@pytest.fixture
async def tenant(api: Api) -> Tenant:
    """The restaurant under test."""
    return await make_tenant(api, "Tenant Bistro")


@pytest.fixture
async def stranger(api: Api) -> Tenant:
    """Another restaurant, whose tokens must get nothing from the tenant."""
    return await make_tenant(api, "Stranger Grill")

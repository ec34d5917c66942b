from collections.abc import AsyncIterator

import pytest

from tests.sandbox.dataverse.harness import Sandbox, in_process


@pytest.fixture
async def sb() -> AsyncIterator[Sandbox]:
    async with in_process() as sandbox:
        yield sandbox

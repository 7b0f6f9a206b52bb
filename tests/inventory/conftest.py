import pytest

from tests.cast import cast, client_as, owner_client  # noqa: F401 - fixtures


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded pictures land in a fresh directory per test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT

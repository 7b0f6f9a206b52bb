import pytest

from tests.cast import cast, client_as, owner_client  # noqa: F401 - fixtures


@pytest.fixture
def data_dir(settings, tmp_path):
    """A fresh data folder (logs, mail and SMS files, list cache, uploads) per test."""
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.MAIL_DIR = settings.DATA_DIR / "mail"
    settings.EMAIL_FILE_PATH = str(settings.MAIL_DIR)
    settings.SMS_LOG_FILE = settings.DATA_DIR / "sms.log"
    settings.MEDIA_ROOT = settings.DATA_DIR / "uploads"
    return settings.DATA_DIR


from tests.dnsfilter.conftest import list_server  # noqa: E402, F401 - fixture


@pytest.fixture
def prefs(db):
    """The household's privacy settings, to change in a test (saved with .save())."""
    from lanward.privacy.models import PrivacySettings

    return PrivacySettings.load()

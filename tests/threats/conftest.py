from tests.cast import cast, client_as, owner_client  # noqa: F401 - fixtures
from tests.dnsfilter.conftest import data_dir, list_server  # noqa: F401 - fixtures

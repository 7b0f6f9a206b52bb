from tests.cast import cast, client_as, owner_client  # noqa: F401 - fixtures

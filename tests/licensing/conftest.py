from tests.portal_cast import _portal_isolation, cast, client_as, plans  # noqa: F401 - fixtures

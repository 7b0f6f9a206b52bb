"""Fixtures shared by these tests."""

from tests.engine.applayer.tls_peers import chain  # noqa: F401 - the certificate chain fixture

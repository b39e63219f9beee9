"""The class personas as a fixture for every test here."""

from tests.courses.kit import school  # noqa: F401

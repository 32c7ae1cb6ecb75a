"""The test suite (a package, so tests can import shared helpers such as tests.pulse)."""

"""Suite-wide settings for the nemo-core tests: ``pytester`` runs the test kit's pytest plugin on small suites."""

pytest_plugins = ["pytester"]

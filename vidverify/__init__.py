"""vidverify: command-line entry point and shared wiring for the vidverify packages."""

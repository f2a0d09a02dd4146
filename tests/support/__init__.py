"""Test helpers that start real servers (sshd, PostgreSQL, ...) for the tests."""

"""Helpers that start real parts for the tests: Redis, PostgreSQL, the API, workers, a webhook receiver."""

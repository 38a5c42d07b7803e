"""Data as older versions of the service stored it, for migration tests."""

import importlib

# Rule set version 1 as migration 0004 seeded it.
V1_DEFAULTS = importlib.import_module("diary.migrations.0004_default_rule_set").V1_DEFAULTS

"""Test configuration of memory-test-utils: enables ``pytester`` for the plugin tests."""

pytest_plugins = ("pytester",)

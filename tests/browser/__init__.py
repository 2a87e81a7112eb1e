"""Tests that drive Debian's Chromium through Playwright against a real server."""

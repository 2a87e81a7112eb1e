"""Offline reading: what a device keeps, and when it must wipe it. See docs/offline.md."""

"""The event log: the `Event` table and its hash chain, the typed event kinds, bulk appends."""

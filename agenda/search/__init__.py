"""Search: the index the subsystems write, and the queries over it."""

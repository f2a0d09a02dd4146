"""The storage contract suite: one scenario, run against every storage backend."""

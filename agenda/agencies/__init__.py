"""The registry of agencies (cơ quan): ministries, ministerial-level agencies and Government
agencies. Programme items, tasks and `agency` accounts link to it. See docs/follow-through.md."""

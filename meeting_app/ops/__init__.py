"""Running the service: readiness, /metrics, backups and restores, the command line, and the
opinion ballots' background round. See docs/deployment.md."""

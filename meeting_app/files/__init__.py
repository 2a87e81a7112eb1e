"""Files in and out: uploads, downloads, the PDF process pool and the copies and books it builds.
See docs/papers.md and docs/uploads.md."""

"""Digital signatures on the papers: what a signed PDF looks like and how it is signed."""

"""What every PDF eCabinet draws shares: the fonts and the letterhead (minutes, books, poll reports)."""

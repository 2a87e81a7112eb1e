"""What the tests share: factories, fixtures' helpers, real servers and PDF samples."""

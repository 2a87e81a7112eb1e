"""eCabinet's domain: models, rules and services. Imports nothing from the web layer."""

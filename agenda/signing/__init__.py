"""Digital signatures (chữ ký số): PAdES signing with keys in a PKCS#11 token, and verification.

See docs/signatures.md.
"""

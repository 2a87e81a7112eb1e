"""Digital signatures (chữ ký số): PAdES signing with keys in a PKCS#11 token, and verification.

See docs/signatures.md.
"""

import warnings

# pyHanko imports cryptography's DSA key class, deprecated there; eCabinet never makes DSA keys.
warnings.filterwarnings("ignore", message="DSA is deprecated")

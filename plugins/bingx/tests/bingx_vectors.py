"""Signing examples from BingX's documentation, and the ones computed here."""

from __future__ import annotations

from venuekit.models import Credentials

#: The key pair printed in both the older (BX-V2OLD) and the current (BX-V3) BingX docs.
DOC_API_KEY = "hO6oQotzTE0S5FRYze2Jx2wGx7eVnJGMolpA1nZyehsoMgCcgKNWQHd4QgTFZuwl4Zt4xMe2PqGBegWXO4A"
DOC_SECRET = "mheO6dR8ovSsxZQCOYEFCtelpuxcWGTfHw7te326y6jOwq5WpvFQ9JNljoTwBXZGv5It07m9RXSPpDQEK2w"
DOC_CREDENTIALS = Credentials(api_key=DOC_API_KEY, api_secret=DOC_SECRET)

# BX-V2OLD (BingX-API/BingX-swap-api-v2-doc @ 4a961e5), "Signature" section: reproduces.
OLD_DOC_STRING = "symbol=BTC-USDT&timestamp=1667872120843&side=LONG&leverage=6"
OLD_DOC_TIMESTAMP = 1667872120843
OLD_DOC_SIGNATURE = "4f581ecdb1fa09b9d6e57886b6f70cffed17f82b93399722939e49a38edec2bf"

# BX-V2OLD mixed mode: query and form body concatenated with no "&" between: reproduces.
OLD_DOC_MIXED_QUERY = "symbol=BTC-USDT&timestamp=1668159715051"
OLD_DOC_MIXED_BODY = "side=LONG&leverage=6"
OLD_DOC_MIXED_SIGNATURE = "8b756b01e7a30f02e19c58a91ab01b29528694316b08a51ecb8dd072942bd47d"

# BX-V3 (current site, BingX-API/docs-v3 @ d84f954): two different strings printed with the
# same signature. It does NOT reproduce; the values computed with the published secret are
# given beside it.
CURRENT_DOC_STRINGS = (
    ("recvWindow=0&symbol=BTC-USDT&timestamp=1696751141337",
     "f8d883609dfd31c824feb4de865b071008dedb1d461451fa70847875c8e7a7a2"),
    ("recvWindow=0&subAccountString=abc12345&timestamp=1696751141337",
     "8d0d3ea9b592be3678c33332ab13e9102e093e67255921e15a581146c87c272f"),
)
CURRENT_DOC_SIGNATURE = "1e63e8cfd1c04919881e60cf369e404b9b7c87d3a09bc300f1abfdcce7da57e8"

# Computed here (shared/exchanges/bingx.md section 3): a sorted swap order string.
ORDER_STRING = ("clientOrderId=cl-0001&positionSide=LONG&price=30000&quantity=0.001&side=BUY"
                "&symbol=BTC-USDT&timeInForce=GTC&timestamp=1700000000000&type=LIMIT")
ORDER_TIMESTAMP = 1700000000000
ORDER_SIGNATURE = "deb98c2923f2a349a15f9a2ad2cbe116c2cdf483fc92469b84bda7e0ccfa0a1f"

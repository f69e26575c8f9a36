"""Page numbers from a query string, read the same way on every listing."""

from __future__ import annotations

# Far past any real listing, and small enough that page x page size stays a valid OFFSET.
MAX_PAGE = 1_000_000
BAD_PAGE = f"the page must be a whole number from 1 to {MAX_PAGE:,}"


def page_number(raw: str | None) -> int | None:
    """1 for no value, the number for ASCII digits within 1..MAX_PAGE, else None.

    str.isdigit() also says yes to "٣" and "²" (the second then breaks int()), and an
    unbounded number overflows the database's OFFSET: both used to answer 500.
    """
    text = (raw or "").strip()
    if not text:
        return 1
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_PAGE)):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_PAGE else None

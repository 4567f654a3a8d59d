"""Human-readable citations: 《株洲日报》2023年12月23日 第1版《“武广地标”转型记》."""

from __future__ import annotations

from .types import Excerpt


def cite(item: Excerpt) -> str:
    """Format paper, date, page and headline the way Chinese newspapers are cited."""
    parts = []
    if item.paper:
        parts.append(f"《{item.paper}》")
    if item.date:
        year, month, day = item.date.split("-")
        parts.append(f"{int(year)}年{int(month)}月{int(day)}日")
    if item.page:
        parts.append(f" 第{item.page}版")
    parts.append(f"《{item.title}》")
    return "".join(parts).strip()

"""Read a user's text file: size limit, binary detection, UTF-8/UTF-16/GB18030 detection."""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

from .errors import InputError

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_MIN_TEXT_SHARE = 0.9


def read_text(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Return the decoded text of `path`, or raise InputError naming the file and the problem."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(f"{path}: file is {size:,} bytes, over the {max_bytes:,}-byte limit")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    return decode_bytes(data, str(path))


def decode_bytes(data: bytes, name: str) -> str:
    """Decode bytes of a text file, detecting the encoding; `name` is used in error messages."""
    if not data.strip():
        raise InputError(f"{name}: file is empty")
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return _strict(data, encoding, name)
    if b"\x00" in data:
        raise InputError(f"{name}: looks like a binary file (contains NUL bytes), not text")
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text) and (encoding == "utf-8" or _mostly_common_chinese(text)):
            return text
    raise InputError(f"{name}: not valid UTF-8 or GB18030/GBK text")


def _strict(data: bytes, encoding: str, name: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: invalid {encoding} text at byte {exc.start}") from exc
    if not text.strip():
        raise InputError(f"{name}: file is empty")
    return text


def _mostly_common_chinese(text: str) -> bool:
    """Random high bytes decode as GB18030 too, but mostly to rare characters outside GB2312."""
    sample = [ch for ch in text[:20000] if not ch.isascii()]
    common = sum(1 for ch in sample if _in_gb2312(ch))
    return common >= _MIN_TEXT_SHARE * len(sample)


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _looks_like_text(text: str) -> bool:
    """Reject byte soup that happens to decode: most characters must be letters, digits, punctuation or space."""
    sample = text[:20000]
    good = sum(1 for ch in sample if ch.isspace() or unicodedata.category(ch)[0] in "LNPS")
    return good >= _MIN_TEXT_SHARE * len(sample)

"""PostgreSQL's character set names, and the Python codec that reads and writes each one.

PostgreSQL compares encoding names ignoring case and everything but letters and digits
(``utf-8``, ``UTF8`` and ``Utf_8`` are one name; "Character Set Support", table 24.3 lists the
names and their aliases).  The server speaks UTF8 on the wire; a name matters where data in
another encoding crosses it: ``COPY ... (ENCODING 'LATIN1')`` reads and writes its data in
that encoding.  `python_codec` gives the codec for a name (None when PostgreSQL would reject
the name); for the few encodings Python has no codec for, UTF-8 stands in, which is exact for
their ASCII subset.
"""

from __future__ import annotations

from typing import Final

__all__ = ["python_codec"]

#: Every encoding name and alias PostgreSQL accepts, in its compared form, with a Python codec.
_CODECS: Final[dict[str, str]] = {
    "utf8": "utf-8",
    "unicode": "utf-8",
    "sqlascii": "utf-8",
    "eucjp": "euc_jp",
    "euccn": "gb2312",
    "euckr": "euc_kr",
    "euctw": "utf-8",
    "eucjis2004": "euc_jis_2004",
    "mulecinternal": "utf-8",
    "latin1": "iso8859-1",
    "latin2": "iso8859-2",
    "latin3": "iso8859-3",
    "latin4": "iso8859-4",
    "latin5": "iso8859-9",
    "latin6": "iso8859-10",
    "latin7": "iso8859-13",
    "latin8": "iso8859-14",
    "latin9": "iso8859-15",
    "latin10": "iso8859-16",
    "iso88591": "iso8859-1",
    "iso88592": "iso8859-2",
    "iso88593": "iso8859-3",
    "iso88594": "iso8859-4",
    "iso88595": "iso8859-5",
    "iso88596": "iso8859-6",
    "iso88597": "iso8859-7",
    "iso88598": "iso8859-8",
    "iso88599": "iso8859-9",
    "iso885910": "iso8859-10",
    "iso885913": "iso8859-13",
    "iso885914": "iso8859-14",
    "iso885915": "iso8859-15",
    "iso885916": "iso8859-16",
    "koi8": "koi8-r",
    "koi8r": "koi8-r",
    "koi8u": "koi8-u",
    "alt": "cp866",
    "win": "cp1251",
    "sjis": "shift_jis",
    "shiftjis": "shift_jis",
    "shiftjis2004": "shift_jis_2004",
    "big5": "big5",
    "gbk": "gbk",
    "uhc": "cp949",
    "gb18030": "gb18030",
    "johab": "johab",
    "tcvn": "cp1258",
    "tcvn5712": "cp1258",
    "vscii": "cp1258",
    "abc": "cp1258",
    **{f"win{page}": f"cp{page}" for page in (866, 874, *range(1250, 1259))},
    **{f"windows{page}": f"cp{page}" for page in (866, 874, *range(1250, 1259))},
}


def _compared(name: str) -> str:
    return "".join(char for char in name.lower() if char.isalnum())


def python_codec(name: str) -> str | None:
    """The Python codec of PostgreSQL encoding ``name``, or None if PostgreSQL does not know it."""
    return _CODECS.get(_compared(name))

"""Read the statements real clients sent, from the capture files in shared/clients beside the repo.

Each entry of a capture starts with a header comment ``-- [pid] app='name' kind``
(``statement``, ``execute <name>`` or ``parameters``; psql15_describe.sql has no ``app=``).  The
lines that follow, up to the next header, are the statement; PostgreSQL's log indents
continuation lines with a tab, which is removed.  ``parameters`` entries list bound values,
not SQL, and are skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

#: ``shared/clients`` beside the repository root (where CI puts shared/ too).
CLIENTS_DIR = Path(__file__).resolve().parents[3] / "shared" / "clients"
CORPUS_FILES = (CLIENTS_DIR / "statements.sql", CLIENTS_DIR / "psql15_describe.sql")
_HEADER = re.compile(r"^-- \[\d+\] (?:app='[^']*' )?(\w+)")


def corpus_entries(path: Path) -> list[str]:
    """The SQL texts of one capture file, in order (one entry may hold several statements)."""
    entries: list[tuple[str, list[str]]] = []
    for line in path.read_text().split("\n"):
        header = _HEADER.match(line)
        if header:
            entries.append((header.group(1), []))
        elif entries:
            entries[-1][1].append(line[1:] if line.startswith("\t") else line)
    return [
        "\n".join(lines).strip()
        for kind, lines in entries
        if kind != "parameters" and "\n".join(lines).strip()
    ]

"""The command tag of CommandComplete, exactly as PostgreSQL words it.

Protocol section 55.7 (CommandComplete) fixes the tags that carry a row count: ``INSERT 0 rows``
(the 0 is the long-gone OID), ``DELETE rows``, ``UPDATE rows``, ``MERGE rows``, ``SELECT rows``
(also for CREATE TABLE AS, SELECT INTO and CREATE MATERIALIZED VIEW that store rows),
``MOVE rows``, ``FETCH rows`` and ``COPY rows``.  Every other command reports its name, with
the few spellings of the server's ``cmdtaglist.h`` that differ from the statement's keywords
(``TRUNCATE TABLE``, ``LOCK TABLE``, ``DECLARE CURSOR``, ``ROLLBACK`` for ``ROLLBACK TO
SAVEPOINT`` ...).  Both rules are tables below, not code.

A transaction that failed ends with ``ROLLBACK`` whatever ended it: PostgreSQL answers COMMIT
(and PREPARE TRANSACTION) of a failed transaction block with the tag ``ROLLBACK``.
"""

from __future__ import annotations

__all__ = ["command_tag"]

# Statement type -> the tag's words before the row count.
_COUNTED = {
    "SELECT": "SELECT",
    "VALUES": "SELECT",
    "TABLE": "SELECT",
    "SELECT INTO": "SELECT",
    "CREATE TABLE AS": "SELECT",
    "CREATE MATERIALIZED VIEW": "SELECT",
    "INSERT": "INSERT 0",
    "UPDATE": "UPDATE",
    "DELETE": "DELETE",
    "MERGE": "MERGE",
    "FETCH": "FETCH",
    "MOVE": "MOVE",
    "COPY": "COPY",
}
# These report their own name when no rows were stored (WITH NO DATA), i.e. rowcount None.
_COUNT_OPTIONAL = frozenset({"CREATE TABLE AS", "CREATE MATERIALIZED VIEW"})

# Statement types (and synonyms a caller may pass) whose tag is spelled differently.
_RENAMED = {
    "ABORT": "ROLLBACK",
    "ANALYSE": "ANALYZE",
    "ALTER GROUP": "ALTER ROLE",
    "ALTER USER": "ALTER ROLE",
    "CLOSE": "CLOSE CURSOR",
    "CLOSE ALL": "CLOSE CURSOR ALL",
    "CREATE GROUP": "CREATE ROLE",
    "CREATE USER": "CREATE ROLE",
    "DEALLOCATE PREPARE": "DEALLOCATE",
    "DECLARE": "DECLARE CURSOR",
    "DISCARD TEMPORARY": "DISCARD TEMP",
    "DROP GROUP": "DROP ROLE",
    "DROP USER": "DROP ROLE",
    "END": "COMMIT",
    "LOCK": "LOCK TABLE",
    "RELEASE SAVEPOINT": "RELEASE",
    "ROLLBACK TO": "ROLLBACK",
    "ROLLBACK TO SAVEPOINT": "ROLLBACK",
    "TRUNCATE": "TRUNCATE TABLE",
}

# Commands that end a transaction block: in a failed block they report ROLLBACK.
_ENDS_TRANSACTION = frozenset({"COMMIT", "END", "PREPARE TRANSACTION"})


def command_tag(
    stmt_type: str, rowcount: int | None = None, *, transaction_failed: bool = False
) -> str:
    """The CommandComplete tag for a statement of type ``stmt_type`` (as `parse_sql` or a
    utility statement's ``tag`` names it) that affected or returned ``rowcount`` rows.

    ``rowcount`` matters only for the commands whose tag carries a count (None counts as 0),
    and distinguishes ``CREATE TABLE AS ... WITH NO DATA`` (None) from one that stored rows.
    With ``transaction_failed``, COMMIT and PREPARE TRANSACTION report ``ROLLBACK``.

    >>> command_tag("INSERT", 1), command_tag("TRUNCATE"), command_tag("START TRANSACTION")
    ('INSERT 0 1', 'TRUNCATE TABLE', 'START TRANSACTION')
    """
    key = " ".join(stmt_type.upper().split())
    if transaction_failed and key in _ENDS_TRANSACTION:
        return "ROLLBACK"
    counted = _COUNTED.get(key)
    if counted is not None and not (rowcount is None and key in _COUNT_OPTIONAL):
        return f"{counted} {rowcount or 0}"
    return _RENAMED.get(key, key)

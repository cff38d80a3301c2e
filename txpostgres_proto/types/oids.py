"""PostgreSQL's built-in type OIDs and the static facts about each type.

Every constant below is the OID of a ``pg_type`` row in ``pg_catalog`` of PostgreSQL 15 (the
values were read from a freshly initdb'd cluster, not typed from memory). OIDs of built-in types
are fixed at initdb time and are the same for every server of that major version; they are what
RowDescription, ParameterDescription and Parse carry on the wire (protocol docs, section 55.7).

``TypeInfo.element_oid`` is the *array element* type: it is non-zero for array types and for the
two array-like vector types (``int2vector``, ``oidvector``, whose binary form is the array
format). ``pg_type.typelem`` is also set for a few fixed-length subscriptable types (``name``,
``point``, ...); those are deliberately reported as 0 here so that ``element_oid != 0`` always
means "decode me as an array".

``type_by_name`` resolves what people write in SQL (``integer``, ``character varying(20)``,
``timestamp(3) with time zone``, ``"char"``, ``numeric(10,2)``, ``int[]``, ``serial`` ...) to a
``TypeInfo``. This module is pure data and lookups; it imports nothing from the rest of the tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

# Scalar and pseudo types (pg_type rows in pg_catalog, PostgreSQL 15).
BOOL: Final = 16
BYTEA: Final = 17
CHAR: Final = 18
NAME: Final = 19
INT8: Final = 20
INT2: Final = 21
INT2VECTOR: Final = 22
INT4: Final = 23
REGPROC: Final = 24
TEXT: Final = 25
OID: Final = 26
TID: Final = 27
XID: Final = 28
CID: Final = 29
OIDVECTOR: Final = 30
PG_DDL_COMMAND: Final = 32
JSON: Final = 114
XML: Final = 142
PG_NODE_TREE: Final = 194
TABLE_AM_HANDLER: Final = 269
INDEX_AM_HANDLER: Final = 325
POINT: Final = 600
LSEG: Final = 601
PATH: Final = 602
BOX: Final = 603
POLYGON: Final = 604
LINE: Final = 628
CIDR: Final = 650
FLOAT4: Final = 700
FLOAT8: Final = 701
UNKNOWN: Final = 705
CIRCLE: Final = 718
MACADDR8: Final = 774
MONEY: Final = 790
MACADDR: Final = 829
INET: Final = 869
ACLITEM: Final = 1033
BPCHAR: Final = 1042
VARCHAR: Final = 1043
DATE: Final = 1082
TIME: Final = 1083
TIMESTAMP: Final = 1114
TIMESTAMPTZ: Final = 1184
INTERVAL: Final = 1186
TIMETZ: Final = 1266
BIT: Final = 1560
VARBIT: Final = 1562
NUMERIC: Final = 1700
REFCURSOR: Final = 1790
REGPROCEDURE: Final = 2202
REGOPER: Final = 2203
REGOPERATOR: Final = 2204
REGCLASS: Final = 2205
REGTYPE: Final = 2206
RECORD: Final = 2249
CSTRING: Final = 2275
ANY: Final = 2276
ANYARRAY: Final = 2277
VOID: Final = 2278
TRIGGER: Final = 2279
LANGUAGE_HANDLER: Final = 2280
INTERNAL: Final = 2281
ANYELEMENT: Final = 2283
ANYNONARRAY: Final = 2776
UUID: Final = 2950
TXID_SNAPSHOT: Final = 2970
FDW_HANDLER: Final = 3115
PG_LSN: Final = 3220
TSM_HANDLER: Final = 3310
PG_NDISTINCT: Final = 3361
PG_DEPENDENCIES: Final = 3402
ANYENUM: Final = 3500
TSVECTOR: Final = 3614
TSQUERY: Final = 3615
GTSVECTOR: Final = 3642
REGCONFIG: Final = 3734
REGDICTIONARY: Final = 3769
JSONB: Final = 3802
ANYRANGE: Final = 3831
EVENT_TRIGGER: Final = 3838
INT4RANGE: Final = 3904
NUMRANGE: Final = 3906
TSRANGE: Final = 3908
TSTZRANGE: Final = 3910
DATERANGE: Final = 3912
INT8RANGE: Final = 3926
JSONPATH: Final = 4072
REGNAMESPACE: Final = 4089
REGROLE: Final = 4096
REGCOLLATION: Final = 4191
INT4MULTIRANGE: Final = 4451
NUMMULTIRANGE: Final = 4532
TSMULTIRANGE: Final = 4533
TSTZMULTIRANGE: Final = 4534
DATEMULTIRANGE: Final = 4535
INT8MULTIRANGE: Final = 4536
ANYMULTIRANGE: Final = 4537
ANYCOMPATIBLEMULTIRANGE: Final = 4538
PG_BRIN_BLOOM_SUMMARY: Final = 4600
PG_BRIN_MINMAX_MULTI_SUMMARY: Final = 4601
PG_MCV_LIST: Final = 5017
PG_SNAPSHOT: Final = 5038
XID8: Final = 5069
ANYCOMPATIBLE: Final = 5077
ANYCOMPATIBLEARRAY: Final = 5078
ANYCOMPATIBLENONARRAY: Final = 5079
ANYCOMPATIBLERANGE: Final = 5080

# Array types: <ELEMENT>_ARRAY is the OID of the type named _<element>.
XML_ARRAY: Final = 143
JSON_ARRAY: Final = 199
XID8_ARRAY: Final = 271
LINE_ARRAY: Final = 629
CIDR_ARRAY: Final = 651
CIRCLE_ARRAY: Final = 719
MACADDR8_ARRAY: Final = 775
MONEY_ARRAY: Final = 791
BOOL_ARRAY: Final = 1000
BYTEA_ARRAY: Final = 1001
CHAR_ARRAY: Final = 1002
NAME_ARRAY: Final = 1003
INT2_ARRAY: Final = 1005
INT2VECTOR_ARRAY: Final = 1006
INT4_ARRAY: Final = 1007
REGPROC_ARRAY: Final = 1008
TEXT_ARRAY: Final = 1009
TID_ARRAY: Final = 1010
XID_ARRAY: Final = 1011
CID_ARRAY: Final = 1012
OIDVECTOR_ARRAY: Final = 1013
BPCHAR_ARRAY: Final = 1014
VARCHAR_ARRAY: Final = 1015
INT8_ARRAY: Final = 1016
POINT_ARRAY: Final = 1017
LSEG_ARRAY: Final = 1018
PATH_ARRAY: Final = 1019
BOX_ARRAY: Final = 1020
FLOAT4_ARRAY: Final = 1021
FLOAT8_ARRAY: Final = 1022
POLYGON_ARRAY: Final = 1027
OID_ARRAY: Final = 1028
ACLITEM_ARRAY: Final = 1034
MACADDR_ARRAY: Final = 1040
INET_ARRAY: Final = 1041
TIMESTAMP_ARRAY: Final = 1115
DATE_ARRAY: Final = 1182
TIME_ARRAY: Final = 1183
TIMESTAMPTZ_ARRAY: Final = 1185
INTERVAL_ARRAY: Final = 1187
NUMERIC_ARRAY: Final = 1231
CSTRING_ARRAY: Final = 1263
TIMETZ_ARRAY: Final = 1270
BIT_ARRAY: Final = 1561
VARBIT_ARRAY: Final = 1563
REFCURSOR_ARRAY: Final = 2201
REGPROCEDURE_ARRAY: Final = 2207
REGOPER_ARRAY: Final = 2208
REGOPERATOR_ARRAY: Final = 2209
REGCLASS_ARRAY: Final = 2210
REGTYPE_ARRAY: Final = 2211
RECORD_ARRAY: Final = 2287
TXID_SNAPSHOT_ARRAY: Final = 2949
UUID_ARRAY: Final = 2951
PG_LSN_ARRAY: Final = 3221
TSVECTOR_ARRAY: Final = 3643
GTSVECTOR_ARRAY: Final = 3644
TSQUERY_ARRAY: Final = 3645
REGCONFIG_ARRAY: Final = 3735
REGDICTIONARY_ARRAY: Final = 3770
JSONB_ARRAY: Final = 3807
INT4RANGE_ARRAY: Final = 3905
NUMRANGE_ARRAY: Final = 3907
TSRANGE_ARRAY: Final = 3909
TSTZRANGE_ARRAY: Final = 3911
DATERANGE_ARRAY: Final = 3913
INT8RANGE_ARRAY: Final = 3927
JSONPATH_ARRAY: Final = 4073
REGNAMESPACE_ARRAY: Final = 4090
REGROLE_ARRAY: Final = 4097
REGCOLLATION_ARRAY: Final = 4192
PG_SNAPSHOT_ARRAY: Final = 5039
INT4MULTIRANGE_ARRAY: Final = 6150
NUMMULTIRANGE_ARRAY: Final = 6151
TSMULTIRANGE_ARRAY: Final = 6152
TSTZMULTIRANGE_ARRAY: Final = 6153
DATEMULTIRANGE_ARRAY: Final = 6155
INT8MULTIRANGE_ARRAY: Final = 6157

# oid, name, array oid, typlen, typcategory, typdelim
_SCALAR_ROWS: Final[tuple[tuple[int, str, int, int, str, str], ...]] = (
    (BOOL, "bool", BOOL_ARRAY, 1, "B", ","),
    (BYTEA, "bytea", BYTEA_ARRAY, -1, "U", ","),
    (CHAR, "char", CHAR_ARRAY, 1, "Z", ","),
    (NAME, "name", NAME_ARRAY, 64, "S", ","),
    (INT8, "int8", INT8_ARRAY, 8, "N", ","),
    (INT2, "int2", INT2_ARRAY, 2, "N", ","),
    (INT2VECTOR, "int2vector", INT2VECTOR_ARRAY, -1, "A", ","),
    (INT4, "int4", INT4_ARRAY, 4, "N", ","),
    (REGPROC, "regproc", REGPROC_ARRAY, 4, "N", ","),
    (TEXT, "text", TEXT_ARRAY, -1, "S", ","),
    (OID, "oid", OID_ARRAY, 4, "N", ","),
    (TID, "tid", TID_ARRAY, 6, "U", ","),
    (XID, "xid", XID_ARRAY, 4, "U", ","),
    (CID, "cid", CID_ARRAY, 4, "U", ","),
    (OIDVECTOR, "oidvector", OIDVECTOR_ARRAY, -1, "A", ","),
    (PG_DDL_COMMAND, "pg_ddl_command", 0, 8, "P", ","),
    (JSON, "json", JSON_ARRAY, -1, "U", ","),
    (XML, "xml", XML_ARRAY, -1, "U", ","),
    (PG_NODE_TREE, "pg_node_tree", 0, -1, "Z", ","),
    (TABLE_AM_HANDLER, "table_am_handler", 0, 4, "P", ","),
    (INDEX_AM_HANDLER, "index_am_handler", 0, 4, "P", ","),
    (POINT, "point", POINT_ARRAY, 16, "G", ","),
    (LSEG, "lseg", LSEG_ARRAY, 32, "G", ","),
    (PATH, "path", PATH_ARRAY, -1, "G", ","),
    (BOX, "box", BOX_ARRAY, 32, "G", ";"),
    (POLYGON, "polygon", POLYGON_ARRAY, -1, "G", ","),
    (LINE, "line", LINE_ARRAY, 24, "G", ","),
    (CIDR, "cidr", CIDR_ARRAY, -1, "I", ","),
    (FLOAT4, "float4", FLOAT4_ARRAY, 4, "N", ","),
    (FLOAT8, "float8", FLOAT8_ARRAY, 8, "N", ","),
    (UNKNOWN, "unknown", 0, -2, "X", ","),
    (CIRCLE, "circle", CIRCLE_ARRAY, 24, "G", ","),
    (MACADDR8, "macaddr8", MACADDR8_ARRAY, 8, "U", ","),
    (MONEY, "money", MONEY_ARRAY, 8, "N", ","),
    (MACADDR, "macaddr", MACADDR_ARRAY, 6, "U", ","),
    (INET, "inet", INET_ARRAY, -1, "I", ","),
    (ACLITEM, "aclitem", ACLITEM_ARRAY, 12, "U", ","),
    (BPCHAR, "bpchar", BPCHAR_ARRAY, -1, "S", ","),
    (VARCHAR, "varchar", VARCHAR_ARRAY, -1, "S", ","),
    (DATE, "date", DATE_ARRAY, 4, "D", ","),
    (TIME, "time", TIME_ARRAY, 8, "D", ","),
    (TIMESTAMP, "timestamp", TIMESTAMP_ARRAY, 8, "D", ","),
    (TIMESTAMPTZ, "timestamptz", TIMESTAMPTZ_ARRAY, 8, "D", ","),
    (INTERVAL, "interval", INTERVAL_ARRAY, 16, "T", ","),
    (TIMETZ, "timetz", TIMETZ_ARRAY, 12, "D", ","),
    (BIT, "bit", BIT_ARRAY, -1, "V", ","),
    (VARBIT, "varbit", VARBIT_ARRAY, -1, "V", ","),
    (NUMERIC, "numeric", NUMERIC_ARRAY, -1, "N", ","),
    (REFCURSOR, "refcursor", REFCURSOR_ARRAY, -1, "U", ","),
    (REGPROCEDURE, "regprocedure", REGPROCEDURE_ARRAY, 4, "N", ","),
    (REGOPER, "regoper", REGOPER_ARRAY, 4, "N", ","),
    (REGOPERATOR, "regoperator", REGOPERATOR_ARRAY, 4, "N", ","),
    (REGCLASS, "regclass", REGCLASS_ARRAY, 4, "N", ","),
    (REGTYPE, "regtype", REGTYPE_ARRAY, 4, "N", ","),
    (RECORD, "record", RECORD_ARRAY, -1, "P", ","),
    (CSTRING, "cstring", CSTRING_ARRAY, -2, "P", ","),
    (ANY, "any", 0, 4, "P", ","),
    (ANYARRAY, "anyarray", 0, -1, "P", ","),
    (VOID, "void", 0, 4, "P", ","),
    (TRIGGER, "trigger", 0, 4, "P", ","),
    (LANGUAGE_HANDLER, "language_handler", 0, 4, "P", ","),
    (INTERNAL, "internal", 0, 8, "P", ","),
    (ANYELEMENT, "anyelement", 0, 4, "P", ","),
    (ANYNONARRAY, "anynonarray", 0, 4, "P", ","),
    (UUID, "uuid", UUID_ARRAY, 16, "U", ","),
    (TXID_SNAPSHOT, "txid_snapshot", TXID_SNAPSHOT_ARRAY, -1, "U", ","),
    (FDW_HANDLER, "fdw_handler", 0, 4, "P", ","),
    (PG_LSN, "pg_lsn", PG_LSN_ARRAY, 8, "U", ","),
    (TSM_HANDLER, "tsm_handler", 0, 4, "P", ","),
    (PG_NDISTINCT, "pg_ndistinct", 0, -1, "Z", ","),
    (PG_DEPENDENCIES, "pg_dependencies", 0, -1, "Z", ","),
    (ANYENUM, "anyenum", 0, 4, "P", ","),
    (TSVECTOR, "tsvector", TSVECTOR_ARRAY, -1, "U", ","),
    (TSQUERY, "tsquery", TSQUERY_ARRAY, -1, "U", ","),
    (GTSVECTOR, "gtsvector", GTSVECTOR_ARRAY, -1, "U", ","),
    (REGCONFIG, "regconfig", REGCONFIG_ARRAY, 4, "N", ","),
    (REGDICTIONARY, "regdictionary", REGDICTIONARY_ARRAY, 4, "N", ","),
    (JSONB, "jsonb", JSONB_ARRAY, -1, "U", ","),
    (ANYRANGE, "anyrange", 0, -1, "P", ","),
    (EVENT_TRIGGER, "event_trigger", 0, 4, "P", ","),
    (INT4RANGE, "int4range", INT4RANGE_ARRAY, -1, "R", ","),
    (NUMRANGE, "numrange", NUMRANGE_ARRAY, -1, "R", ","),
    (TSRANGE, "tsrange", TSRANGE_ARRAY, -1, "R", ","),
    (TSTZRANGE, "tstzrange", TSTZRANGE_ARRAY, -1, "R", ","),
    (DATERANGE, "daterange", DATERANGE_ARRAY, -1, "R", ","),
    (INT8RANGE, "int8range", INT8RANGE_ARRAY, -1, "R", ","),
    (JSONPATH, "jsonpath", JSONPATH_ARRAY, -1, "U", ","),
    (REGNAMESPACE, "regnamespace", REGNAMESPACE_ARRAY, 4, "N", ","),
    (REGROLE, "regrole", REGROLE_ARRAY, 4, "N", ","),
    (REGCOLLATION, "regcollation", REGCOLLATION_ARRAY, 4, "N", ","),
    (INT4MULTIRANGE, "int4multirange", INT4MULTIRANGE_ARRAY, -1, "R", ","),
    (NUMMULTIRANGE, "nummultirange", NUMMULTIRANGE_ARRAY, -1, "R", ","),
    (TSMULTIRANGE, "tsmultirange", TSMULTIRANGE_ARRAY, -1, "R", ","),
    (TSTZMULTIRANGE, "tstzmultirange", TSTZMULTIRANGE_ARRAY, -1, "R", ","),
    (DATEMULTIRANGE, "datemultirange", DATEMULTIRANGE_ARRAY, -1, "R", ","),
    (INT8MULTIRANGE, "int8multirange", INT8MULTIRANGE_ARRAY, -1, "R", ","),
    (ANYMULTIRANGE, "anymultirange", 0, -1, "P", ","),
    (ANYCOMPATIBLEMULTIRANGE, "anycompatiblemultirange", 0, -1, "P", ","),
    (PG_BRIN_BLOOM_SUMMARY, "pg_brin_bloom_summary", 0, -1, "Z", ","),
    (PG_BRIN_MINMAX_MULTI_SUMMARY, "pg_brin_minmax_multi_summary", 0, -1, "Z", ","),
    (PG_MCV_LIST, "pg_mcv_list", 0, -1, "Z", ","),
    (PG_SNAPSHOT, "pg_snapshot", PG_SNAPSHOT_ARRAY, -1, "U", ","),
    (XID8, "xid8", XID8_ARRAY, 8, "U", ","),
    (ANYCOMPATIBLE, "anycompatible", 0, 4, "P", ","),
    (ANYCOMPATIBLEARRAY, "anycompatiblearray", 0, -1, "P", ","),
    (ANYCOMPATIBLENONARRAY, "anycompatiblenonarray", 0, 4, "P", ","),
    (ANYCOMPATIBLERANGE, "anycompatiblerange", 0, -1, "P", ","),
)

# array oid, element oid
_ARRAY_ROWS: Final[tuple[tuple[int, int], ...]] = (
    (XML_ARRAY, XML),
    (JSON_ARRAY, JSON),
    (XID8_ARRAY, XID8),
    (LINE_ARRAY, LINE),
    (CIDR_ARRAY, CIDR),
    (CIRCLE_ARRAY, CIRCLE),
    (MACADDR8_ARRAY, MACADDR8),
    (MONEY_ARRAY, MONEY),
    (BOOL_ARRAY, BOOL),
    (BYTEA_ARRAY, BYTEA),
    (CHAR_ARRAY, CHAR),
    (NAME_ARRAY, NAME),
    (INT2_ARRAY, INT2),
    (INT2VECTOR_ARRAY, INT2VECTOR),
    (INT4_ARRAY, INT4),
    (REGPROC_ARRAY, REGPROC),
    (TEXT_ARRAY, TEXT),
    (TID_ARRAY, TID),
    (XID_ARRAY, XID),
    (CID_ARRAY, CID),
    (OIDVECTOR_ARRAY, OIDVECTOR),
    (BPCHAR_ARRAY, BPCHAR),
    (VARCHAR_ARRAY, VARCHAR),
    (INT8_ARRAY, INT8),
    (POINT_ARRAY, POINT),
    (LSEG_ARRAY, LSEG),
    (PATH_ARRAY, PATH),
    (BOX_ARRAY, BOX),
    (FLOAT4_ARRAY, FLOAT4),
    (FLOAT8_ARRAY, FLOAT8),
    (POLYGON_ARRAY, POLYGON),
    (OID_ARRAY, OID),
    (ACLITEM_ARRAY, ACLITEM),
    (MACADDR_ARRAY, MACADDR),
    (INET_ARRAY, INET),
    (TIMESTAMP_ARRAY, TIMESTAMP),
    (DATE_ARRAY, DATE),
    (TIME_ARRAY, TIME),
    (TIMESTAMPTZ_ARRAY, TIMESTAMPTZ),
    (INTERVAL_ARRAY, INTERVAL),
    (NUMERIC_ARRAY, NUMERIC),
    (CSTRING_ARRAY, CSTRING),
    (TIMETZ_ARRAY, TIMETZ),
    (BIT_ARRAY, BIT),
    (VARBIT_ARRAY, VARBIT),
    (REFCURSOR_ARRAY, REFCURSOR),
    (REGPROCEDURE_ARRAY, REGPROCEDURE),
    (REGOPER_ARRAY, REGOPER),
    (REGOPERATOR_ARRAY, REGOPERATOR),
    (REGCLASS_ARRAY, REGCLASS),
    (REGTYPE_ARRAY, REGTYPE),
    (RECORD_ARRAY, RECORD),
    (TXID_SNAPSHOT_ARRAY, TXID_SNAPSHOT),
    (UUID_ARRAY, UUID),
    (PG_LSN_ARRAY, PG_LSN),
    (TSVECTOR_ARRAY, TSVECTOR),
    (GTSVECTOR_ARRAY, GTSVECTOR),
    (TSQUERY_ARRAY, TSQUERY),
    (REGCONFIG_ARRAY, REGCONFIG),
    (REGDICTIONARY_ARRAY, REGDICTIONARY),
    (JSONB_ARRAY, JSONB),
    (INT4RANGE_ARRAY, INT4RANGE),
    (NUMRANGE_ARRAY, NUMRANGE),
    (TSRANGE_ARRAY, TSRANGE),
    (TSTZRANGE_ARRAY, TSTZRANGE),
    (DATERANGE_ARRAY, DATERANGE),
    (INT8RANGE_ARRAY, INT8RANGE),
    (JSONPATH_ARRAY, JSONPATH),
    (REGNAMESPACE_ARRAY, REGNAMESPACE),
    (REGROLE_ARRAY, REGROLE),
    (REGCOLLATION_ARRAY, REGCOLLATION),
    (PG_SNAPSHOT_ARRAY, PG_SNAPSHOT),
    (INT4MULTIRANGE_ARRAY, INT4MULTIRANGE),
    (NUMMULTIRANGE_ARRAY, NUMMULTIRANGE),
    (TSMULTIRANGE_ARRAY, TSMULTIRANGE),
    (TSTZMULTIRANGE_ARRAY, TSTZMULTIRANGE),
    (DATEMULTIRANGE_ARRAY, DATEMULTIRANGE),
    (INT8MULTIRANGE_ARRAY, INT8MULTIRANGE),
)


@dataclass(frozen=True, slots=True)
class TypeInfo:
    """Static facts about one type, as ``pg_type`` states them."""

    oid: int
    name: str
    array_oid: int
    element_oid: int
    typlen: int
    category: str
    delimiter: str

    @property
    def is_array(self) -> bool:
        """True for the ``_element`` array types (not for int2vector/oidvector)."""
        return self.element_oid != 0 and self.oid != INT2VECTOR and self.oid != OIDVECTOR


def _build_table() -> dict[int, TypeInfo]:
    table: dict[int, TypeInfo] = {}
    vector_elements = {INT2VECTOR: INT2, OIDVECTOR: OID}
    for oid, name, array_oid, typlen, category, delimiter in _SCALAR_ROWS:
        element = vector_elements.get(oid, 0)
        table[oid] = TypeInfo(oid, name, array_oid, element, typlen, category, delimiter)
    for oid, element in _ARRAY_ROWS:
        elem = table[element]
        category = "P" if element == RECORD else "A"
        table[oid] = TypeInfo(oid, "_" + elem.name, 0, element, -1, category, elem.delimiter)
    return table


BUILTIN_TYPES: Final[dict[int, TypeInfo]] = _build_table()

_BY_NAME: Final[dict[str, TypeInfo]] = {info.name: info for info in BUILTIN_TYPES.values()}

#: Types PostgreSQL's ``format_type`` spells with their SQL-standard names (format_type.c;
#: the date/time types, whose names depend on the zone, are left to the callers).
SQL_NAMES: Final[dict[int, str]] = {
    BOOL: "boolean",
    FLOAT4: "real",
    FLOAT8: "double precision",
    INT2: "smallint",
    INT4: "integer",
    INT8: "bigint",
    NUMERIC: "numeric",
    VARCHAR: "character varying",
    VARBIT: "bit varying",
    BIT: "bit",
    INTERVAL: "interval",
}

# SQL spellings (after lower-casing, removing type modifiers and collapsing blanks) that are
# not the pg_type name itself.
_ALIASES: Final[dict[str, str]] = {
    "int": "int4",
    "integer": "int4",
    "smallint": "int2",
    "bigint": "int8",
    "serial": "int4",
    "serial4": "int4",
    "smallserial": "int2",
    "serial2": "int2",
    "bigserial": "int8",
    "serial8": "int8",
    "real": "float4",
    "float": "float8",
    "double precision": "float8",
    "boolean": "bool",
    "decimal": "numeric",
    "dec": "numeric",
    '"char"': "char",
    "char": "bpchar",
    "character": "bpchar",
    "nchar": "bpchar",
    "national character": "bpchar",
    "national char": "bpchar",
    "character varying": "varchar",
    "char varying": "varchar",
    "national character varying": "varchar",
    "national char varying": "varchar",
    "nchar varying": "varchar",
    "bit varying": "varbit",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
    "time without time zone": "time",
    "time with time zone": "timetz",
    '"any"': "any",
}

_INTERVAL_FIELDS: Final = re.compile(
    r"^interval\s+(year|month|day|hour|minute|second)(\s+to\s+(month|hour|minute|second))?$"
)
_MODIFIER: Final = re.compile(r"\s*\([^()]*\)")
_ARRAY_SUFFIX: Final = re.compile(r"(\s*\[\s*\d*\s*\]|\s+array(\s*\[\s*\d*\s*\])?)$")
_FLOAT_PRECISION: Final = re.compile(r"^float\s*\(\s*(\d+)\s*\)$")


def _resolve_scalar(spelling: str) -> TypeInfo | None:
    match = _FLOAT_PRECISION.match(spelling)
    if match:
        # SQL float(p): p binary digits of precision; 1..24 is real, 25..53 double.
        return BUILTIN_TYPES[FLOAT4 if int(match.group(1)) <= 24 else FLOAT8]
    spelling = " ".join(_MODIFIER.sub(" ", spelling).split())
    if _INTERVAL_FIELDS.match(spelling):
        return BUILTIN_TYPES[INTERVAL]
    if spelling.startswith("pg_catalog."):
        spelling = spelling[len("pg_catalog.") :]
    name = _ALIASES.get(spelling, spelling)
    return _BY_NAME.get(name)


def type_by_name(name: str) -> TypeInfo | None:
    """Resolve a SQL type spelling to its built-in ``TypeInfo``; None if it is not built in.

    Accepts pg_type names (``int4``, ``_int4``), SQL standard spellings and aliases, type
    modifiers (``varchar(20)``, ``numeric(10,2)``), interval field restrictions, an optional
    ``pg_catalog.`` prefix, and array suffixes (``text[]``, ``int[3][]``, ``integer array``).
    Matching is case-insensitive except that ``"char"`` (quoted) differs from ``char``.
    """
    spelling = " ".join(name.strip().lower().split())
    dims = 0
    while True:
        match = _ARRAY_SUFFIX.search(spelling)
        if match is None:
            break
        dims += 1
        spelling = spelling[: match.start()].rstrip()
    info = _resolve_scalar(spelling)
    if info is None or dims == 0:
        return info
    if info.is_array:
        return info
    return BUILTIN_TYPES.get(info.array_oid)

"""The OID table and SQL type-name resolution."""

from __future__ import annotations

import pytest

from txpostgres_proto.types import BUILTIN_TYPES, TypeInfo, oids, type_by_name


def test_well_known_oids() -> None:
    expected = {
        "BOOL": 16,
        "BYTEA": 17,
        "CHAR": 18,
        "NAME": 19,
        "INT8": 20,
        "INT2": 21,
        "INT2VECTOR": 22,
        "INT4": 23,
        "REGPROC": 24,
        "TEXT": 25,
        "OID": 26,
        "XID": 28,
        "CID": 29,
        "OIDVECTOR": 30,
        "JSON": 114,
        "XML": 142,
        "POINT": 600,
        "CIDR": 650,
        "FLOAT4": 700,
        "FLOAT8": 701,
        "UNKNOWN": 705,
        "MACADDR": 829,
        "INET": 869,
        "BPCHAR": 1042,
        "VARCHAR": 1043,
        "DATE": 1082,
        "TIME": 1083,
        "TIMESTAMP": 1114,
        "TIMESTAMPTZ": 1184,
        "INTERVAL": 1186,
        "TIMETZ": 1266,
        "BIT": 1560,
        "VARBIT": 1562,
        "NUMERIC": 1700,
        "REGPROCEDURE": 2202,
        "REGOPER": 2203,
        "REGCLASS": 2205,
        "REGTYPE": 2206,
        "RECORD": 2249,
        "CSTRING": 2275,
        "ANY": 2276,
        "ANYARRAY": 2277,
        "VOID": 2278,
        "UUID": 2950,
        "JSONB": 3802,
        "INT4RANGE": 3904,
        "REGNAMESPACE": 4089,
        "REGROLE": 4096,
        "BOOL_ARRAY": 1000,
        "INT2_ARRAY": 1005,
        "INT4_ARRAY": 1007,
        "TEXT_ARRAY": 1009,
        "INT8_ARRAY": 1016,
        "FLOAT8_ARRAY": 1022,
        "VARCHAR_ARRAY": 1015,
        "TIMESTAMPTZ_ARRAY": 1185,
        "NUMERIC_ARRAY": 1231,
        "JSON_ARRAY": 199,
        "JSONB_ARRAY": 3807,
        "UUID_ARRAY": 2951,
        "RECORD_ARRAY": 2287,
    }
    for name, oid in expected.items():
        assert getattr(oids, name) == oid, name


def test_type_info_facts() -> None:
    assert BUILTIN_TYPES[oids.INT4] == TypeInfo(23, "int4", 1007, 0, 4, "N", ",")
    assert BUILTIN_TYPES[oids.INT4_ARRAY] == TypeInfo(1007, "_int4", 0, 23, -1, "A", ",")
    assert BUILTIN_TYPES[oids.BOX].delimiter == ";"
    assert BUILTIN_TYPES[oids.BOX_ARRAY].delimiter == ";"
    assert BUILTIN_TYPES[oids.UNKNOWN].typlen == -2
    assert BUILTIN_TYPES[oids.INT2VECTOR].element_oid == oids.INT2
    assert not BUILTIN_TYPES[oids.INT2VECTOR].is_array
    assert BUILTIN_TYPES[oids.NAME].element_oid == 0
    assert BUILTIN_TYPES[oids.RECORD_ARRAY].is_array


def test_array_links_are_consistent() -> None:
    arrays = [info for info in BUILTIN_TYPES.values() if info.is_array]
    assert len(arrays) > 70
    for array in arrays:
        element = BUILTIN_TYPES[array.element_oid]
        assert element.array_oid == array.oid
        assert array.name == "_" + element.name
    for info in BUILTIN_TYPES.values():
        if info.array_oid:
            assert BUILTIN_TYPES[info.array_oid].element_oid == info.oid


@pytest.mark.parametrize(
    ("spelling", "oid"),
    [
        ("int", oids.INT4),
        ("integer", oids.INT4),
        ("INT4", oids.INT4),
        ("Integer", oids.INT4),
        ("serial", oids.INT4),
        ("serial4", oids.INT4),
        ("bigint", oids.INT8),
        ("bigserial", oids.INT8),
        ("smallint", oids.INT2),
        ("smallserial", oids.INT2),
        ("real", oids.FLOAT4),
        ("float", oids.FLOAT8),
        ("float(24)", oids.FLOAT4),
        ("float(25)", oids.FLOAT8),
        ("double precision", oids.FLOAT8),
        ("double  precision", oids.FLOAT8),
        ("bool", oids.BOOL),
        ("boolean", oids.BOOL),
        ('"char"', oids.CHAR),
        ("char", oids.BPCHAR),
        ("char(10)", oids.BPCHAR),
        ("character(3)", oids.BPCHAR),
        ("character varying", oids.VARCHAR),
        ("character varying(255)", oids.VARCHAR),
        ("varchar(20)", oids.VARCHAR),
        ("text", oids.TEXT),
        ("decimal", oids.NUMERIC),
        ("numeric(10,2)", oids.NUMERIC),
        ("numeric(10, 2)", oids.NUMERIC),
        ("timestamp", oids.TIMESTAMP),
        ("timestamp without time zone", oids.TIMESTAMP),
        ("timestamp with time zone", oids.TIMESTAMPTZ),
        ("timestamp(3) with time zone", oids.TIMESTAMPTZ),
        ("timestamptz", oids.TIMESTAMPTZ),
        ("time with time zone", oids.TIMETZ),
        ("time(6) without time zone", oids.TIME),
        ("interval", oids.INTERVAL),
        ("interval year to month", oids.INTERVAL),
        ("interval day to second(3)", oids.INTERVAL),
        ("bit varying(8)", oids.VARBIT),
        ("bit(8)", oids.BIT),
        ("pg_catalog.int8", oids.INT8),
        ("regclass", oids.REGCLASS),
        ('"any"', oids.ANY),
        ("json", oids.JSON),
        ("jsonb", oids.JSONB),
        ("uuid", oids.UUID),
        ("text[]", oids.TEXT_ARRAY),
        ("int[]", oids.INT4_ARRAY),
        ("integer[3]", oids.INT4_ARRAY),
        ("int[][]", oids.INT4_ARRAY),
        ("integer array", oids.INT4_ARRAY),
        ("varchar(20)[]", oids.VARCHAR_ARRAY),
        ("character varying(20)[]", oids.VARCHAR_ARRAY),
        ("timestamp with time zone[]", oids.TIMESTAMPTZ_ARRAY),
        ("double precision[]", oids.FLOAT8_ARRAY),
        ('"char"[]', oids.CHAR_ARRAY),
        ("_int4", oids.INT4_ARRAY),
        ("  numeric(10,2) [ ] ", oids.NUMERIC_ARRAY),
    ],
)
def test_type_by_name(spelling: str, oid: int) -> None:
    info = type_by_name(spelling)
    assert info is not None
    assert info.oid == oid


@pytest.mark.parametrize("spelling", ["", "nosuchtype", "int5", "void[]", "timestamp with zone"])
def test_type_by_name_unknown(spelling: str) -> None:
    assert type_by_name(spelling) is None

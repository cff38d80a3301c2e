-- Catalog queries in the style of tools not captured in /work/shared/clients (ORMs, BI tools,
-- type loaders, monitoring probes), written for these tests.  Blocks are separated by lines
-- starting with "-- statement"; "-- statement rows" means the rows must equal PostgreSQL's
-- too (the schema is the sample schema of tests/catalog/conftest.py).

-- statement rows
SELECT table_catalog, table_schema, table_name, table_type, is_typed
FROM information_schema.tables
WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
ORDER BY 1, 2, 3

-- statement rows
SELECT table_name, is_insertable_into FROM information_schema.tables
WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1

-- statement rows
SELECT column_name, ordinal_position, column_default, is_nullable, data_type,
       character_maximum_length, character_octet_length, numeric_precision,
       numeric_precision_radix, numeric_scale, datetime_precision, udt_schema, udt_name,
       dtd_identifier, is_identity, is_generated
FROM information_schema.columns
WHERE table_schema = 'public' AND table_name IN ('items', 'users', 'v_items')
ORDER BY table_name, ordinal_position

-- statement rows
SELECT table_name, column_name, is_updatable FROM information_schema.columns
WHERE table_schema = 'public' AND table_name IN ('items', 'users') ORDER BY 1, 2

-- statement
SELECT * FROM information_schema.columns WHERE table_name = 'items'

-- statement rows
SELECT schema_name FROM information_schema.schemata ORDER BY 1

-- statement rows
SELECT tc.constraint_name, tc.constraint_type, kcu.column_name, kcu.ordinal_position
FROM information_schema.table_constraints tc
JOIN information_schema.key_column_usage kcu
  ON tc.constraint_name = kcu.constraint_name AND tc.table_schema = kcu.table_schema
WHERE tc.table_schema = 'public'
ORDER BY 1, 3

-- statement rows
SELECT kcu.column_name
FROM information_schema.table_constraints tc
JOIN information_schema.key_column_usage kcu USING (constraint_schema, constraint_name)
WHERE tc.table_name = 'users' AND tc.constraint_type = 'PRIMARY KEY'

-- statement
SELECT * FROM information_schema.views WHERE table_schema = 'public'

-- statement
SELECT * FROM information_schema.referential_constraints

-- statement rows
SELECT sequence_schema, sequence_name, data_type, numeric_precision, start_value,
       minimum_value, maximum_value, increment, cycle_option
FROM information_schema.sequences ORDER BY 2

-- statement
SELECT * FROM information_schema.routines WHERE routine_schema = 'public'

-- statement rows
SELECT DISTINCT table_name FROM information_schema.columns
WHERE table_schema = 'public' ORDER BY 1

-- statement rows
SELECT schemaname, tablename, tableowner, hasindexes FROM pg_tables
WHERE schemaname = 'public' ORDER BY tablename

-- statement rows
SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes
WHERE schemaname = 'public' ORDER BY indexname

-- statement rows
SELECT schemaname, viewname FROM pg_views WHERE schemaname = 'public'

-- statement rows
SELECT schemaname, sequencename, data_type, start_value, max_value FROM pg_sequences

-- statement
SELECT name, setting, unit, vartype FROM pg_settings WHERE name IN ('max_connections', 'work_mem')

-- statement
SELECT * FROM pg_stat_activity WHERE pid = pg_backend_pid()

-- statement rows
SELECT oid, typname, typelem, typarray, typtype, typcategory, typlen
FROM pg_type WHERE typname IN ('int4', 'text', '_int4', 'varchar', 'bool') ORDER BY oid

-- statement
SELECT t.oid, t.typname, t.typtype, t.typbasetype, t.typelem, t.typarray, n.nspname
FROM pg_type t LEFT JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype IN ('b', 'e', 'r', 'd') ORDER BY t.oid

-- statement rows
SELECT t.oid, t.typname, t.typelem, t.typdelim, t.typinput, r.rngsubtype, t.typtype,
       t.typbasetype
FROM pg_type AS t LEFT JOIN pg_range AS r ON oid = rngtypid
WHERE t.typname IN ('int2', 'int4', 'int8', 'oid', 'float8', 'text', 'varchar', 'bool',
                    'timestamptz', 'int4range')
ORDER BY t.oid

-- statement rows
SELECT c.relname,
       CASE WHEN c.relispartition THEN 'p' WHEN c.relkind IN ('m', 'v') THEN 'v' ELSE 't' END,
       obj_description(c.oid, 'pg_class')
FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('f', 'm', 'p', 'r', 'v') AND n.nspname NOT IN ('pg_catalog', 'pg_toast')
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 1

-- statement rows
SELECT c.conname,
       array(SELECT attname
             FROM unnest(c.conkey) WITH ORDINALITY cols(colid, arridx)
             JOIN pg_attribute AS ca ON cols.colid = ca.attnum
             WHERE ca.attrelid = c.conrelid ORDER BY cols.arridx),
       c.contype, cl.reloptions
FROM pg_constraint AS c JOIN pg_class AS cl ON c.conrelid = cl.oid
WHERE cl.relname IN ('items', 'users') AND pg_catalog.pg_table_is_visible(cl.oid)
ORDER BY 1

-- statement
SELECT ns.nspname, typ.oid, typ.typname, typ.typtype, typ.typnotnull, elem.oid AS elemtypoid,
       CASE WHEN proc.proname = 'array_recv' THEN 'a' ELSE typ.typtype END AS kind
FROM pg_type AS typ
JOIN pg_namespace AS ns ON ns.oid = typ.typnamespace
LEFT JOIN pg_class AS cls ON cls.oid = typ.typrelid
LEFT JOIN pg_proc AS proc ON proc.oid = typ.typreceive
LEFT JOIN pg_range ON pg_range.rngtypid = typ.oid
LEFT JOIN pg_type AS elem ON elem.oid = (CASE WHEN proc.proname = 'array_recv' THEN typ.typelem
                                              WHEN typ.typtype = 'r' THEN rngsubtype
                                              WHEN typ.typtype = 'd' THEN typ.typbasetype END)
WHERE typ.typtype IN ('b', 'r', 'm', 'e', 'd') OR (typ.typtype = 'c' AND cls.relkind = 'c')
ORDER BY CASE WHEN typ.typtype IN ('b', 'e', 'p') THEN 0 WHEN typ.typtype = 'r' THEN 1 ELSE 2 END,
         typ.oid

-- statement rows
SELECT word, catcode FROM pg_get_keywords() WHERE catcode = 'R' ORDER BY word LIMIT 5

-- statement rows
SELECT current_setting('server_version_num')::int >= 150000, current_database(), current_user,
       session_user, current_schema, current_schemas(true), current_schemas(false)

-- statement
SELECT pg_is_in_recovery(), txid_current() > 0, pg_postmaster_start_time() IS NOT NULL,
       pg_backend_pid() > 0, now() IS NOT NULL, inet_server_addr(), pg_client_encoding()

-- statement rows
SELECT to_regtype('integer'), to_regclass('items'), to_regclass('nope'),
       'items'::regclass::oid = to_regclass('public.items')::oid,
       format_type('int4'::regtype, -1), format_type(1043, 24), format_type(1700, 655366),
       format_type(1184, 3), format_type(1042, -1), format_type(1042, NULL),
       format_type(1007, NULL), format_type('information_schema.sql_identifier'::regtype, NULL),
       'int4[]'::regtype, 'varchar(20)'::regtype::text, 'character varying'::regtype,
       '"char"'::regtype, 'double precision'::regtype

-- statement rows
SELECT has_table_privilege('items', 'SELECT'), has_schema_privilege('public', 'USAGE'),
       has_database_privilege(current_database(), 'CONNECT')

-- statement rows
SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace

-- statement rows
SELECT relname, relkind, relnatts, relhasindex, relpersistence, relreplident, reltype <> 0
FROM pg_class
WHERE relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
ORDER BY relname

-- statement rows
SELECT a.attname, t.typname, a.attnum, a.attnotnull, a.atthasdef, a.atttypmod, a.attlen,
       a.attalign, a.attstorage, a.attndims, a.attcollation
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = 'items'::regclass ORDER BY a.attnum

-- statement rows
SELECT pg_get_indexdef(indexrelid), indisunique, indisprimary, indkey, indoption,
       indnkeyatts
FROM pg_index WHERE indrelid = 'items'::regclass ORDER BY 1

-- statement rows
SELECT conname, contype, pg_get_constraintdef(oid), conkey, condeferrable
FROM pg_constraint WHERE conrelid = 'users'::regclass ORDER BY 1

-- statement rows
SELECT pg_get_serial_sequence('items', 'id'), pg_get_serial_sequence('users', 'id')

-- statement rows
SELECT col_description('users'::regclass, 2), obj_description('users'::regclass, 'pg_class'),
       obj_description('users'::regclass), col_description('items'::regclass, 1)

-- statement rows
SELECT generate_series(1, 3) AS g, unnest(array['a', 'b']) AS u

-- statement rows
SELECT * FROM generate_series(1, 3) g(x) CROSS JOIN LATERAL (SELECT x * 2 AS y) l

-- statement rows
SELECT array_agg(relname ORDER BY relname DESC) FROM pg_class
WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'

-- statement rows
SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute
WHERE attrelid = 'items'::regclass AND attnum > 0

-- statement rows
SELECT typname FROM pg_type WHERE oid = ANY('{23,25}'::oid[]) ORDER BY 1

-- statement rows
SELECT version() ~ '^PostgreSQL 15', 'abc' ~* 'B', 'x' !~ 'y', 'Items' ILIKE 'it%',
       'Items' LIKE 'it%', 'a_c' LIKE 'a\_c', 'abc' LIKE 'a\_c'

-- statement rows
SELECT quote_ident('Items'), quote_ident('select'), quote_ident('plain'), quote_literal('it''s')

-- statement rows
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname LIKE 'item%' ORDER BY 2

-- statement rows
SELECT EXISTS (SELECT 1 FROM pg_tables WHERE tablename = 'items')

-- statement rows
SELECT oid::regclass, relkind FROM pg_class WHERE oid = 'items'::regclass

-- statement rows
SELECT proname, pronargs FROM pg_proc WHERE oid = 'pg_catalog.now'::regproc

-- statement rows
SELECT t.typname, t.typtype, t.typcategory FROM pg_type t
WHERE t.typrelid = 'items'::regclass

-- statement rows
SELECT c.relname, i.indkey, i.indkey[0], array_length(i.indkey::int2[], 1), i.indclass
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1

-- statement rows
SELECT relname FROM pg_class
WHERE relname IN ('items', 'users') AND relkind = ANY (ARRAY['r', 'v'])
UNION ALL SELECT 'extra' ORDER BY 1 DESC

-- statement rows
SELECT d.datname, pg_encoding_to_char(d.encoding), d.datallowconn FROM pg_database d
WHERE d.datname = current_database()

-- statement rows
SELECT r.rolname, r.rolsuper, r.rolcanlogin FROM pg_roles r WHERE r.rolname = current_user

-- statement rows
SELECT CASE WHEN pg_table_is_visible('items'::regclass) THEN 'yes' ELSE 'no' END,
       pg_type_is_visible('int4'::regtype), pg_function_is_visible('now'::regproc)

-- statement rows
SELECT greatest(1, 5, NULL), least('b', 'a'), coalesce(NULL, 'x'), nullif(1, 1),
       length('abc'), lower('ABC'), upper('abc'), replace('aXa', 'X', 'y'),
       substring('hello' FROM 2 FOR 3), position('l' IN 'hello'), left('hello', 2),
       split_part('a.b.c', '.', 2), concat('a', NULL, 'b'), 7 / 2, 7 % 3, -(3)

-- statement rows
SELECT array_to_string(ARRAY['a', NULL, 'c'], ','), array_to_string(ARRAY['a', NULL], ',', '*'),
       cardinality(ARRAY[1, 2, 3]), array_upper(ARRAY[4, 5], 1), array_position(ARRAY['x', 'y'], 'y'),
       ARRAY[1, 2] || 3, (ARRAY['p', 'q'])[2], ARRAY[1, 2]::text, 5 = ANY (ARRAY[1, 5]),
       2 <> ALL (ARRAY[2, 3])

-- statement rows
SELECT true::text, false AS f, 1::boolean, 'yes'::bool, '{1,2}'::int[], NULL::int,
       '42'::int + 1, 3::numeric, 2.5, 10000000000

-- statement rows
SELECT pg_size_pretty(10240::bigint), pg_size_pretty(123::bigint), pg_relation_size('items'),
       pg_table_size('items') >= 0

-- statement rows
SELECT c.relname, pg_describe_object('pg_class'::regclass, c.oid, 0)
FROM pg_class c WHERE c.relname IN ('items', 'items_pkey', 'items_id_seq') ORDER BY 1

-- statement rows
SELECT a.attname, a.attnum, pg_describe_object('pg_class'::regclass, a.attrelid, a.attnum)
FROM pg_attribute a WHERE a.attrelid = 'users'::regclass AND a.attnum > 0 ORDER BY 2

-- statement rows
SELECT relname, count(*) OVER (), row_number() OVER (ORDER BY relname)
FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY relname

-- statement rows
SELECT relkind, count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace
GROUP BY relkind HAVING count(*) > 0 ORDER BY relkind

-- statement rows
WITH t AS (SELECT relname, relkind FROM pg_class WHERE relnamespace = 'public'::regnamespace)
SELECT relkind, string_agg(relname, ' ' ORDER BY relname) FROM t GROUP BY 1 ORDER BY 1

-- statement rows
SELECT n.nspname FROM pg_namespace n WHERE n.nspname !~ '^pg_' ORDER BY 1

-- statement rows
SELECT s.r, (current_schemas(false))[s.r] FROM generate_series(1, 2) AS s(r)

-- statement rows
SELECT x FROM (VALUES (1), (2)) AS v(x) ORDER BY x DESC

-- statement rows
SELECT option_name, option_value FROM pg_options_to_table(ARRAY['fillfactor=70', 'a=b'])

-- statement rows
SELECT e.x, e.n FROM information_schema._pg_expandarray(ARRAY['a', 'b']) AS e

-- statement
SELECT pg_catalog.pg_get_userbyid(10) IS NOT NULL, pg_catalog.pg_get_userbyid(1)

-- statement rows
SELECT * FROM unnest(ARRAY[5, 6]) WITH ORDINALITY

-- statement rows
SELECT * FROM unnest(ARRAY['x', 'y']) WITH ORDINALITY AS t

-- statement rows
SELECT * FROM generate_series(3, 4) WITH ORDINALITY AS g(a, b)

-- statement rows
(SELECT relname FROM pg_class WHERE relname = 'items') UNION ALL (SELECT 'z' ORDER BY 1 LIMIT 1)
ORDER BY 1 DESC

-- statement rows
SELECT s.a, s.b FROM (SELECT relname AS a, relkind AS b FROM pg_class
                      WHERE relnamespace = 'public'::regnamespace ORDER BY 1 LIMIT 2) s
ORDER BY a

-- statement rows
SELECT indexrelid::regclass, indrelid::regclass FROM pg_index
WHERE indrelid = 'pg_class'::regclass ORDER BY 1

-- statement rows
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = 'pg_catalog.pg_namespace'::regclass ORDER BY 1

-- statement rows
SELECT n.oid, n.*, d.description FROM pg_catalog.pg_namespace n
LEFT OUTER JOIN pg_catalog.pg_description d
  ON d.objoid = n.oid AND d.objsubid = 0 AND d.classoid = 'pg_namespace'::regclass
ORDER BY nspname

-- statement
SELECT c.oid, c.conname,
       CASE WHEN c.contype = 'c' THEN "substring"(pg_get_constraintdef(c.oid), 7) END AS consrc
FROM pg_catalog.pg_constraint c

-- statement rows
SELECT CASE WHEN usesuper THEN pg_catalog.pg_is_in_recovery() ELSE NULL END AS inrecovery,
       CASE WHEN usesuper THEN pg_catalog.pg_last_wal_receive_lsn() ELSE NULL END AS receive
FROM pg_catalog.pg_user WHERE usename = current_user

-- statement rows
SELECT quote_ident(table_name) AS table_name FROM information_schema.tables
WHERE quote_ident(table_schema) NOT IN ('information_schema', 'pg_catalog')
  AND table_type = 'BASE TABLE'
  AND quote_ident(table_schema) IN (
    SELECT CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
    FROM generate_series(array_lower(string_to_array(current_setting('search_path'), ','), 1),
                         array_upper(string_to_array(current_setting('search_path'), ','), 1)) AS i,
         string_to_array(current_setting('search_path'), ',') s)
ORDER BY 1

-- statement rows
SELECT EXTRACT(EPOCH FROM now()) > 0, date_trunc('day', now()) <= now()

-- statement rows
SELECT nspname FROM pg_namespace WHERE oid = pg_my_temp_schema()

-- statement rows
SELECT information_schema._pg_expandarray(ARRAY[10, 20])

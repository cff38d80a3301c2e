def test_smoke(run, db):
    async def body():
        conn = await db.connect()
        rows = await conn.query("select $1::int + 1 as x, 'a' as y", 41)
        rows2 = await conn.query("select $1::int + 1 as x, 'a' as y", 1)
        res = await conn.simple_query("select 1 as a; select 2 as b, 3 as c")
        return rows, rows2, res
    print(run(body))

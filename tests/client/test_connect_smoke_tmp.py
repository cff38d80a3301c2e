from txpostgres_proto.client.connect import connect

def test_smoke(run, real_postgres):
    async def go():
        conn = await connect(run.reactor, real_postgres.dsn("scram_user", "scram_user_pw"))
        rows = await conn.query("SELECT current_user, ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        await conn.close()
        return rows
    print(run(go))

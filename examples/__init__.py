"""Example txpostgres_proto servers.  Run one with
``twistd -n pgproto --handler examples.<module>.<Class>`` and connect with any PostgreSQL client:

* ``dict_example.DictHandler`` — the seed example: one table in a Python dict;
* ``csv_example.CsvHandler`` — the CSV files of a directory as typed tables;
* ``app_example.InventoryHandler`` — an application with its own INSERT/UPDATE/DELETE.
"""

"""Disclosure Watch's own records, kept for auditors beyond Temporal's retention.

`database` opens a store (SQLite file by default, PostgreSQL by URL), `migrate` runs the Alembic
migrations packaged in `migrations/`, `tables` is the schema, and one module per concern holds
the repository functions: `registry`, `blobs`, `documents`, `reports`, `findings`, `notifications`,
`runs`, and `audit` (everything about one agency-year). Functions take a `Session`; the caller
decides the transaction (`Store.session()`).
"""

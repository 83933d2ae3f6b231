"""Alembic environment of the ledger. The migrations are run by
``ledger.db.migrate`` on a connection it opened (``policy ledger init``, and
on open when the database is behind), never from an alembic.ini."""

from alembic import context

from ledger.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()

"""Migrating the test database to a point of its history, for tests of data migrations.

Migrations run outside any transaction: such tests are transactional, with
``serialized_rollback`` so that the flush that ends them does not remove what the migrations
made (groups, rights) for later tests. The ``latest`` fixture (tests/conftest.py) migrates back
to the latest state afterwards.
"""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets):
    """Migrate to ``targets`` ((app, migration or None), ...); the apps of that state."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([node for node in targets if node[1]]).apps


def leaf_nodes():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()

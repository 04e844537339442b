"""moto's TransactWriteItems, made to cost what a transaction should in a test server.

moto (5.2.5) backs up each table a transaction touches before writing, to restore it if the
transaction fails, with copy.deepcopy: once per item rather than once per table, and with the
table's stream records, which pile up where no Lambda mapping consumes them (every write so far).
Seeding the catalog (202 four-item transactions) took most of a minute, long enough on a loaded
machine for a write to outlive the SDK's timeouts. This copies each table once per transaction
and shares, rather than copies, its stream: a failed transaction's stream records stay (no test
reads moto's streams; the rehearsal makes its own stream batches).

Used by scripts/moto-server. Call install() once, before serving.
"""

import copy
import threading
import types

from moto.dynamodb import models
from moto.dynamodb.models.table import StreamShard, Table

_copies = threading.local()


def _deepcopy(value, memo=None):
    """copy.deepcopy, but a table already backed up by this transaction is not copied again."""
    if isinstance(value, Table):
        backups = getattr(_copies, "tables", None)
        if backups is not None:
            if id(value) not in backups:
                backups[id(value)] = copy.deepcopy(value)
            return backups[id(value)]
    return copy.deepcopy(value, memo)


def install():
    transact = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        _copies.tables = {}
        try:
            return transact(self, transact_items)
        finally:
            _copies.tables = None

    models.DynamoDBBackend.transact_write_items = transact_write_items
    # Only the name `copy` inside moto's dynamodb models module: nobody else's deepcopy changes.
    models.copy = types.SimpleNamespace(deepcopy=_deepcopy)
    StreamShard.__deepcopy__ = lambda self, memo: self

"""moto server whose TransactWriteItems backs up only the items it names.

moto (5.2.5, moto/dynamodb/models/__init__.py, `transact_write_items`) deep-copies the whole
table once per item of a transaction, in case it must roll back. On a table of ~14,000 items
(the SEPA monthly close of 1,000 customers) one 1-item transaction then takes about a second
(132 ms measured on a table of 1,421 items), and the close would take hours of moto's time,
not ours. A transaction can only change the items its operations name, so this backs up those
items before it runs, puts them back if it fails, and makes moto's whole-table copy a no-op.
Same answers and same failures as moto; used by scripts/bench for the monthly close only.

Usage: python moto_fast_transactions.py -H 127.0.0.1 -p PORT (moto_server's arguments).
"""

import copy
import sys
import types

import moto.dynamodb.models as models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.server import main

_original = DynamoDBBackend.transact_write_items


def _deepcopy_except_tables(obj, memo=None):
    return obj if isinstance(obj, Table) else copy.deepcopy(obj, memo)


# Stands in for the `copy` module inside moto.dynamodb.models while a transaction runs.
_COPY_EXCEPT_TABLES = types.SimpleNamespace(
    deepcopy=_deepcopy_except_tables, copy=copy.copy
)


def _key(table, op_type, op):
    if op_type != "Put":
        return op["Key"]
    attrs = op["Item"]
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


def transact_write_items(self, transact_items):
    saved = []
    for item in transact_items:
        try:
            op_type, op = next(iter(item.items()))
            table = self.tables[op["TableName"]]
            key = _key(table, op_type, op)
            hash_value, range_value = self.get_keys_value(table, key)
        except Exception:
            # Malformed: moto's own checks answer it, before any change.
            continue
        before = table.get_item(hash_value, range_value)
        saved.append((table, hash_value, range_value, copy.deepcopy(before)))
    models.copy = _COPY_EXCEPT_TABLES
    try:
        return _original(self, transact_items)
    except Exception:
        for table, hash_value, range_value, before in reversed(saved):
            if before is None:
                table.delete_item(hash_value, range_value)
            elif range_value is not None:
                table.items[hash_value][range_value] = before
            else:
                table.items[hash_value] = before
        raise
    finally:
        models.copy = copy


DynamoDBBackend.transact_write_items = transact_write_items

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

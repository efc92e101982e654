"""Reading a stored object by key: the one place that calls the object store's ``get``.

Each call is a billed S3 GET. Before the lookup index, the API and the workers called this for
every answer (43M GETs a day). It is banned from ``secfilings.services`` and
``secfilings.workers`` by ``[tool.costguard.ban]`` (pyproject.toml), and it guards itself: the
runtime guard's ``protect`` checks who executes the module and who calls its functions, and
raises ``ForbiddenImportError`` for guarded code, whether or not the import hook is on.
``secfilings.scripts`` (partition checks, backfills), tests and benchmarks may use it.
"""

from __future__ import annotations

from typing import Any

from runtime_guard import protect

from secfilings.errors import NotFound, SecfilingsError

__all__ = ["read_object", "ObjectMissing"]

guarded = protect(__name__)


class ObjectMissing(NotFound):
    """No object is stored under the key."""


@guarded
def read_object(store: Any, key: str) -> bytes:
    """The bytes stored under ``key`` in ``store`` (one S3 GET).

    Raises ``ObjectMissing`` (a ``SecfilingsError``) naming the key and the lake when absent,
    and ``SecfilingsError`` for a key that would escape the lake.
    """
    try:
        return store.get(key)
    except KeyError:
        raise ObjectMissing(f"no object {key!r} in the lake {store.url}") from None
    except ValueError as error:
        raise SecfilingsError(str(error)) from None

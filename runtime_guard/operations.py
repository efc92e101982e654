"""One botocore layer for operation bans and the meter: see each request before it is sent.

Standard library only, and nothing happens until botocore is imported: ``attach(listener)``
either hooks botocore at once (already imported) or leaves a ``sys.meta_path`` watcher that hooks
it the moment ``botocore.session`` has executed.

How requests are seen (botocore's public event system):

* every ``botocore.session.Session`` made from now on gets our handlers through its public
  ``Session.register`` (we wrap ``Session.__init__`` to call it: botocore has no public "session
  created" event); clients copy their session's handlers when they are made, so every client
  of such a session is covered;
* sessions and clients that already existed when the layer attached are found once with
  ``gc.get_objects()`` and get the same handlers through ``Session.register`` /
  ``client.meta.events.register`` (no per-call process-wide hook for them);
* handlers: ``before-call`` (refuse before anything is sent), ``response-received`` (one per
  HTTP attempt: what the meter counts), ``before-parameter-build`` (the meter asks DynamoDB for
  its consumed capacity and notes S3 request body sizes).

The caller of a request is the first frame outside boto3, botocore, s3transfer,
concurrent.futures, threading and this package. Work handed to a thread pool belongs to the code
that handed it over: ``concurrent.futures.ThreadPoolExecutor.submit`` is wrapped (one class
attribute) to capture the caller at submission and carry it into the worker thread, which is
how s3transfer's ``download_file`` (HeadObject + GetObject on its executor threads) and a user's
``pool.submit(client.get_object, ...)`` stay attributed. Tested on botocore 1.44.8 / s3transfer
0.19.3 and botocore 1.31.85 / s3transfer 0.6.2 (boto3 1.28.0, the platform extra's floor).
"""

from __future__ import annotations

import gc
import sys
import threading
import warnings
import weakref
from types import FrameType
from typing import Any, Callable, Protocol

from runtime_guard.frames import module_name
from runtime_guard.policy import OperationBan, Policy

__all__ = [
    "ForbiddenOperationError",
    "OperationChecker",
    "Listener",
    "attach",
    "detach",
    "calling_module",
    "carried_caller",
    "attached",
    "register_client",
]

UNKNOWN_CALLER = "(unknown)"
_LIBRARY_TOPS = frozenset({"boto3", "botocore", "s3transfer", "threading", "runtime_guard"})
_UNIQUE = "costguard-operations-"


class ForbiddenOperationError(RuntimeError):
    """A guarded module called a banned AWS operation; raised before the request is sent.

    Attributes: ``service`` (botocore service name), ``operation`` (botocore operation name),
    ``caller`` (the module whose code asked for it), ``reason``, ``use_instead``, ``scope``.
    """

    def __init__(self, service: str, operation: str, caller: str, reason: str = "", use_instead: str = "", scope: str = "") -> None:
        self.service = service
        self.operation = operation
        self.caller = caller
        self.reason = reason
        self.use_instead = use_instead
        self.scope = scope
        text = f"{service}.{operation} is banned in {scope or caller} (called by {caller})"
        if reason:
            text += f": {reason}"
        if use_instead:
            text += f"; use {use_instead}"
        super().__init__(text)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.service, self.operation, self.caller, self.reason, self.use_instead, self.scope))


# ---------------------------------------------------------------------------------------------
# Who is calling
# ---------------------------------------------------------------------------------------------

_carried = threading.local()


def _is_library(name: Any) -> bool:
    if not isinstance(name, str):
        return False
    top = name.partition(".")[0]
    if top in _LIBRARY_TOPS:
        return True
    return top == "concurrent" and (name == "concurrent" or name.startswith("concurrent.futures"))


def carried_caller() -> str | None:
    """The caller handed to this thread with its work (``ThreadPoolExecutor.submit``), if any."""
    return getattr(_carried, "caller", None)


def calling_module(frame: FrameType | None) -> str:
    """The module of the first frame outward from ``frame`` outside the AWS SDK and thread pools,
    else the caller carried into this thread, else ``(unknown)``."""
    while frame is not None:
        namespace = frame.f_globals
        if not _is_library(namespace.get("__name__")):
            return module_name(namespace) or UNKNOWN_CALLER
        frame = frame.f_back
    return carried_caller() or UNKNOWN_CALLER


def _submit_wrapper(original: Callable[..., Any]) -> Callable[..., Any]:
    def submit(self: Any, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        caller = calling_module(sys._getframe(1))

        def carried(*a: Any, **k: Any) -> Any:
            previous = getattr(_carried, "caller", None)
            _carried.caller = caller
            try:
                return fn(*a, **k)
            finally:
                _carried.caller = previous

        return original(self, carried, *args, **kwargs)

    submit.__doc__ = original.__doc__
    submit.__costguard_wrapper__ = original  # type: ignore[attr-defined]
    return submit


# ---------------------------------------------------------------------------------------------
# Listeners
# ---------------------------------------------------------------------------------------------


class Listener(Protocol):
    """What the layer calls. ``before_call`` may raise to refuse the request."""

    def wants(self, service: str, operation: str) -> bool: ...

    def before_call(self, service: str, operation: str, caller: str, frame: FrameType | None, context: Any) -> None: ...

    def response(self, service: str, operation: str, caller: str, parsed: Any, response_dict: Any, context: Any) -> None: ...

    def parameters(self, service: str, operation: str, params: Any, context: Any) -> None: ...


class OperationChecker:
    """The ``[[tool.costguard.operation]]`` bans of one policy, in the guard's mode.

    ``mode_of`` returns the current mode (the import guard's checker: its ``uninstall`` turns it
    off); ``raise`` refuses, ``warn`` and ``log`` report once per (caller, operation).
    """

    def __init__(self, policy: Policy, mode_of: Callable[[], str]) -> None:
        self.bans: tuple[OperationBan, ...] = policy.operations
        self.banned = frozenset((ban.service, op) for ban in self.bans for op in ban.operations)
        self.mode_of = mode_of
        self._reported: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()

    def wants(self, service: str, operation: str) -> bool:
        return (service, operation) in self.banned

    def before_call(self, service: str, operation: str, caller: str, frame: FrameType | None, context: Any) -> None:
        mode = self.mode_of()
        if mode == "off" or (service, operation) not in self.banned:
            return
        for ban in self.bans:
            if ban.bans(service, operation) and ban.guards(caller):
                error = ForbiddenOperationError(service, operation, caller, ban.reason, ban.use_instead, ban.scope_of(caller))
                if mode == "raise":
                    raise error
                key = (caller, service, operation)
                with self._lock:
                    if key in self._reported:
                        return
                    self._reported.add(key)
                if mode == "warn":
                    from runtime_guard.errors import CostguardWarning

                    where = _user_frame(frame)
                    filename = where.f_code.co_filename if where is not None else "<unknown>"
                    lineno = where.f_lineno if where is not None else 0
                    warnings.warn_explicit(str(error), CostguardWarning, filename, lineno or 0, module=caller)
                elif mode == "log":
                    import logging

                    logging.getLogger("runtime_guard").warning("costguard: %s", error)
                return

    def response(self, *args: Any) -> None:
        return None

    def parameters(self, *args: Any) -> None:
        return None


def _user_frame(frame: FrameType | None) -> FrameType | None:
    while frame is not None and _is_library(frame.f_globals.get("__name__")):
        frame = frame.f_back
    return frame


# ---------------------------------------------------------------------------------------------
# The layer
# ---------------------------------------------------------------------------------------------

_lock = threading.RLock()
_listeners: list[Any] = []
_patches: list[tuple[Any, str, Any, Any]] = []
_registered: "weakref.WeakSet[Any]" = weakref.WeakSet()
_hooked = False
_watcher: "_BotocoreWatcher | None" = None


def attached() -> bool:
    """True once botocore is hooked (sessions made from now on get the handlers)."""
    return _hooked


def _split(event_name: str) -> tuple[str, str]:
    parts = event_name.split(".")
    return (parts[1], parts[2]) if len(parts) >= 3 else ("", "")


def _service_of(model: Any, event_name: str) -> tuple[str, str]:
    try:
        return model.service_model.service_name, model.name
    except AttributeError:
        return _split(event_name)


def _on_before_call(model: Any = None, context: Any = None, event_name: str = "", **_: Any) -> None:
    listeners = _listeners
    if not listeners:
        return
    service, operation = _service_of(model, event_name)
    wanting = [listener for listener in tuple(listeners) if listener.wants(service, operation)]
    if not wanting:
        return
    frame = sys._getframe(1)
    caller = calling_module(frame)
    if isinstance(context, dict):
        context["costguard_caller"] = caller
    for listener in wanting:
        listener.before_call(service, operation, caller, frame, context)


def _on_parameters(params: Any = None, context: Any = None, event_name: str = "", model: Any = None, **_: Any) -> None:
    if not _listeners:
        return
    service, operation = _service_of(model, event_name)
    for listener in tuple(_listeners):
        listener.parameters(service, operation, params, context)


def _on_response(event_name: str = "", parsed_response: Any = None, response_dict: Any = None, context: Any = None, **_: Any) -> None:
    if not _listeners:
        return
    service, operation = _split(event_name)
    caller = context.get("costguard_caller") if isinstance(context, dict) else None
    if caller is None:
        caller = calling_module(sys._getframe(1))
    for listener in tuple(_listeners):
        listener.response(service, operation, caller, parsed_response, response_dict, context)


_HANDLERS = (
    ("before-parameter-build", _on_parameters),
    ("before-call", _on_before_call),
    ("response-received", _on_response),
)


def _register(target: Any, register: Callable[..., Any]) -> None:
    for event, handler in _HANDLERS:
        register(event, handler, unique_id=_UNIQUE + handler.__name__)
    try:
        _registered.add(target)
    except TypeError:  # pragma: no cover - not weak-referenceable
        pass


def _unregister_all() -> None:
    for target in list(_registered):
        events = _events_of(target)
        if events is None:
            continue
        for event, handler in _HANDLERS:
            try:
                events.unregister(event, handler, unique_id=_UNIQUE + handler.__name__)
            except Exception:  # pragma: no cover - a torn-down emitter
                pass
    _registered.clear()


def _events_of(target: Any) -> Any:
    meta = getattr(target, "meta", None)
    if meta is not None:
        return getattr(meta, "events", None)
    try:
        return target.get_component("event_emitter")
    except Exception:  # pragma: no cover
        return None


def _register_session(session: Any) -> None:
    try:
        _register(session, session.register)
    except Exception:  # pragma: no cover - never break the program's session
        pass


def _register_client(client: Any) -> None:
    try:
        _register(client, client.meta.events.register)
    except Exception:  # pragma: no cover
        pass


def register_client(client: Any) -> None:
    """Register the layer's handlers on one client (idempotent; the layer must be attached)."""
    if _hooked:
        _register_client(client)


def _patch(owner: Any, attribute: str, wrapper: Any) -> None:
    original = owner.__dict__[attribute]
    setattr(owner, attribute, wrapper)
    _patches.append((owner, attribute, original, wrapper))


def _session_init_wrapper(original: Callable[..., None]) -> Callable[..., None]:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if _hooked:
            _register_session(self)

    __init__.__doc__ = original.__doc__
    __init__.__costguard_wrapper__ = original  # type: ignore[attr-defined]
    return __init__


def _hook_botocore() -> None:
    """Hook ``botocore.session`` (imported by now) and the thread pool; find existing objects."""
    global _hooked
    with _lock:
        if _hooked or not _listeners:
            return
        session_module = sys.modules.get("botocore.session")
        if session_module is None:
            return
        from concurrent.futures import ThreadPoolExecutor

        Session = session_module.Session
        _patch(Session, "__init__", _session_init_wrapper(Session.__dict__["__init__"]))
        _patch(ThreadPoolExecutor, "submit", _submit_wrapper(ThreadPoolExecutor.__dict__["submit"]))
        _hooked = True
        client_module = sys.modules.get("botocore.client")
        BaseClient = getattr(client_module, "BaseClient", None)
        for obj in gc.get_objects():
            if isinstance(obj, Session):
                _register_session(obj)
            elif BaseClient is not None and isinstance(obj, BaseClient):
                _register_client(obj)


class _BotocoreWatcher:
    """A ``sys.meta_path`` entry that finds nothing itself: it wraps the loader of
    ``botocore.session`` so the layer hooks botocore as soon as that module has executed."""

    _busy = threading.local()

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != "botocore.session" or getattr(self._busy, "on", False):
            return None
        self._busy.on = True
        try:
            spec = None
            for finder in list(sys.meta_path):
                if finder is self:
                    continue
                find = getattr(finder, "find_spec", None)
                if find is None:
                    continue
                spec = find(fullname, path, target)
                if spec is not None:
                    break
        finally:
            self._busy.on = False
        loader = getattr(spec, "loader", None)
        exec_module = getattr(loader, "exec_module", None)
        if exec_module is None:
            return spec

        def exec_then_hook(module: Any) -> None:
            exec_module(module)
            try:
                _hook_botocore()
            except Exception as exc:  # pragma: no cover - never break the import of botocore
                sys.stderr.write(f"costguard: could not hook botocore: {exc}\n")

        try:
            loader.exec_module = exec_then_hook  # this loader instance serves this module only
        except AttributeError:  # pragma: no cover - a loader we cannot wrap
            return spec
        return spec

    def invalidate_caches(self) -> None:
        return None


def attach(listener: Any) -> None:
    """Start passing botocore requests to ``listener`` (hooks botocore now or once it is imported)."""
    global _watcher
    with _lock:
        if listener not in _listeners:
            _listeners.append(listener)
        if _hooked:
            return
        if "botocore.session" in sys.modules:
            _hook_botocore()
        elif _watcher is None:
            _watcher = _BotocoreWatcher()
            sys.meta_path.insert(0, _watcher)


def detach(listener: Any) -> None:
    """Stop calling ``listener``; the last one out removes every hook."""
    global _hooked, _watcher
    with _lock:
        if listener in _listeners:
            _listeners.remove(listener)
        if _listeners:
            return
        for owner, attribute, original, wrapper in reversed(_patches):
            if owner.__dict__.get(attribute) is wrapper:
                setattr(owner, attribute, original)
        _patches.clear()
        _unregister_all()
        _hooked = False
        if _watcher is not None and _watcher in sys.meta_path:
            sys.meta_path.remove(_watcher)
        _watcher = None


class _GuardBans:
    """The operation bans of whichever import guard is active now (policy and mode), so handles
    that override the mode or the policy decide for operations as they do for imports."""

    def __init__(self) -> None:
        self._cached: tuple[Any, OperationChecker] | None = None

    def _checker(self) -> OperationChecker | None:
        from runtime_guard.hook import active_guard

        guard = active_guard()
        if guard is None or not getattr(guard, "installed", False):
            return None
        policy = guard.policy
        cached = self._cached
        if cached is None or cached[0] is not policy:
            cached = self._cached = (policy, OperationChecker(policy, _active_mode))
        return cached[1]

    def wants(self, service: str, operation: str) -> bool:
        checker = self._checker()
        return checker is not None and checker.wants(service, operation)

    def before_call(self, service: str, operation: str, caller: str, frame: FrameType | None, context: Any) -> None:
        checker = self._checker()
        if checker is not None:
            checker.before_call(service, operation, caller, frame, context)

    def response(self, *args: Any) -> None:
        return None

    def parameters(self, *args: Any) -> None:
        return None


def _active_mode() -> str:
    from runtime_guard.hook import active_guard

    guard = active_guard()
    return guard.mode if guard is not None and getattr(guard, "installed", False) else "off"


_follower: _GuardBans | None = None


def follow_guard() -> None:
    """Called by the import guard whenever it is installed or uninstalled: attach the operation
    bans when the active guard's policy has ``[[tool.costguard.operation]]`` tables (and its mode
    is not off), detach them when no such guard is active."""
    global _follower
    from runtime_guard.hook import active_guard

    guard = active_guard()
    wanted = (
        guard is not None and getattr(guard, "installed", False) and bool(guard.policy.operations) and guard.mode != "off"
    )
    with _lock:
        if wanted and _follower is None:
            _follower = _GuardBans()
            attach(_follower)
        elif not wanted and _follower is not None:
            detach(_follower)
            _follower = None

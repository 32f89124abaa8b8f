"""Every public function documents every parameter, checked with numpydoc's validation.

The public API walked here:

- every function and class in ``salesmetrics.__all__``;
- the public functions and classes of ``salesmetrics.plot``, ``.interactive``, ``.periods``, ``.stats`` and
  ``.datasets`` (their ``__all__``, or the names without an underscore defined in the module);
- the public methods of those classes that salesmetrics defines (``SalesData.summary``,
  ``ShiftedBetaGeometric.fit``, ...).

Each object is validated by its real ``__module__`` + ``__qualname__``. The checks enforced:

- GL08: no docstring;
- PR01: a parameter not documented; PR02: a documented parameter that does not exist; PR03: the parameters
  documented in another order than the signature's (``**options`` is documented as ``**options``);
- EX01: no Examples section.

A class's docstring is checked against its ``__init__``'s parameters (a dataclass's fields). numpydoc reads the
signature through ``functools.wraps``' ``__wrapped__`` (``inspect.signature`` follows it), so the metrics
wrapped by ``data_first`` are checked against their own parameters; ``/`` and ``*`` are not parameters.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator

from numpydoc.docscrape import get_doc_object
from numpydoc.validate import Validator, validate

import salesmetrics as sm

MODULES = ("salesmetrics.plot", "salesmetrics.interactive", "salesmetrics.periods", "salesmetrics.stats",
           "salesmetrics.datasets")
CHECKS = frozenset({"GL08", "PR01", "PR02", "PR03", "EX01"})


def _module_names(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, obj in vars(module).items()
                 if not n.startswith("_") and getattr(obj, "__module__", None) == module_name]
    return list(names)


def _is_ours(obj: object) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module == "salesmetrics" or module.startswith("salesmetrics.")


def _objects() -> Iterator[object]:
    """Everything the public names point at (functions, classes, and constants that the walk leaves out)."""
    yield from (getattr(sm, name) for name in sm.__all__)
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        yield from (getattr(module, name) for name in _module_names(module_name))


def _methods(cls: type) -> Iterator[object]:
    """The public methods (and properties) a salesmetrics class defines itself, in its MRO below object."""
    seen: set[str] = set()
    for klass in cls.__mro__:
        if not _is_ours(klass):
            continue
        for name, attr in vars(klass).items():
            if name.startswith("_") or name in seen:
                continue
            seen.add(name)
            func = attr.__func__ if isinstance(attr, classmethod | staticmethod) else attr
            if inspect.isfunction(func) and _is_ours(func):
                yield func


def public_api() -> list[str]:
    """Dotted names (``module.qualname``) of the public API, each once, in a stable order."""
    names: dict[str, None] = {}
    for obj in _objects():
        if not (inspect.isfunction(obj) or inspect.isclass(obj)) or not _is_ours(obj):
            continue  # constants (KPIS, LEAD_STAGES, SAMPLE_SETTINGS, __version__)
        names[f"{obj.__module__}.{obj.__qualname__}"] = None
        if inspect.isclass(obj):
            for method in _methods(obj):
                names[f"{method.__module__}.{method.__qualname__}"] = None
    return list(names)


PUBLIC = public_api()


def _failures(name: str) -> list[str]:
    result = validate(name)
    return [f"{name}: {code} {message}" for code, message in result["errors"] if code in CHECKS]


def test_the_walk_finds_the_api() -> None:
    for name in ("salesmetrics.data._bundle.SalesData.summary", "salesmetrics.economics.ShiftedBetaGeometric.fit",
                 "salesmetrics.economics.ShiftedBetaGeometric.from_subscriptions", "salesmetrics.org.OrgDesign.process",
                 "salesmetrics.periods.BusinessCalendar.business_time", "salesmetrics.revenue.mrr",
                 "salesmetrics.plot.mrr_bridge", "salesmetrics.interactive.mrr_bridge", "salesmetrics.stats.wilson_interval",
                 "salesmetrics.diagnostics._diagnose.diagnose", "salesmetrics.errors.InputValidationError"):
        assert name in PUBLIC
    assert not [n for n in PUBLIC if n.rsplit(".", 1)[-1].startswith("_")], "private names in the walk"


def test_numpydoc_reads_the_wrapped_signature() -> None:
    """``data_first`` wraps the metrics: numpydoc must check the metric's own parameters, not ``*args, **kwargs``."""
    params = Validator(get_doc_object(sm.win_rate)).signature_parameters
    assert hasattr(sm.win_rate, "__wrapped__")
    assert params[:2] == ("data", "freq") and "*args" not in params and "**kwargs" not in params


def test_every_public_docstring_documents_every_parameter() -> None:
    failures = [line for name in PUBLIC for line in _failures(name)]
    assert not failures, f"{len(failures)} docstring problem(s):\n" + "\n".join(failures)


def _resolve(name: str) -> object:
    module_name, _, rest = name.partition(".")
    obj: object = importlib.import_module(module_name)
    parts = rest.split(".")
    for i, part in enumerate(parts):  # import submodules as far as they go, then attributes
        try:
            obj = importlib.import_module(f"{module_name}.{'.'.join(parts[:i + 1])}")
        except ImportError:
            obj = getattr(obj, part)
    return obj


def test_a_set_of_choices_lists_the_default_first() -> None:
    """numpydoc's convention (and mkdocstrings' renderer): in ``order : {'C', 'F'}`` the first choice is the
    default. ``freq : {"M", "Q", "Y"}, default "Q"`` was rendered as default "M" on the API pages."""
    wrong = []
    for name in PUBLIC:
        obj = _resolve(name)
        target = obj.__init__ if inspect.isclass(obj) else obj  # type: ignore[misc]
        try:
            signature = inspect.signature(target)
        except (TypeError, ValueError):
            continue
        doc = get_doc_object(obj)
        for param in doc["Parameters"]:
            if not param.type.startswith("{") or param.name not in signature.parameters:
                continue
            default = signature.parameters[param.name].default
            first = param.type[1:].split(",", 1)[0].split("}", 1)[0].strip().strip("'\"")
            if isinstance(default, str) and first != default:
                wrong.append(f"{name}: {param.name} : {param.type} (default {default!r})")
    assert not wrong, "\n".join(wrong)

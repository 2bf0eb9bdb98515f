"""The public API is exactly what __all__ says (httpx's test_exported_members pattern)."""

from __future__ import annotations

import jupyter_al
from jupyter_al import exceptions, plots, strategies


def test_all_is_exported_and_nothing_private_leaks():
    # `annotations` is bound by `from __future__ import annotations`
    public = {n for n in dir(jupyter_al) if not n.startswith("_")} - {"annotations"}
    # public submodules (bound on the package once some test imports them)
    modules = {
        "exceptions",
        "plots",
        "strategies",
        "metrics",
        "cli",
        "embeddings",
        "argilla",
        "judge",
        "tracking",
        "regression",
        "units",
        "extraction",
        "ranking",
    }

    assert sorted(jupyter_al.__all__) == sorted(set(jupyter_al.__all__))
    assert set(jupyter_al.__all__) - {"__version__"} == public - modules
    for name in jupyter_al.__all__:
        assert hasattr(jupyter_al, name)


def test_public_modules_have_all():
    for module in (exceptions, plots, strategies):
        for name in module.__all__:
            assert hasattr(module, name), (module.__name__, name)


def test_exception_tree():
    assert issubclass(exceptions.ConfigError, ValueError)
    assert issubclass(exceptions.LabelError, exceptions.ConfigError)
    assert issubclass(exceptions.RunLockedError, exceptions.StoreError)
    assert issubclass(exceptions.ReplayMismatchError, exceptions.JupyterALError)
    assert issubclass(exceptions.ArgillaUnavailableError, exceptions.ArgillaError)
    assert issubclass(exceptions.ArgillaError, exceptions.JupyterALError)

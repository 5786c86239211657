"""Repository-level pytest configuration: collect cleanly without the optional extras.

torch is an optional extra (``pip install "foundations-forge[torch]"``), and so are jieba and OpenCC
(``[zh]``). Without torch, the doctests of the modules that cannot be imported without it are not
collected (their tests in ``tests/`` skip through ``pytest.importorskip``); doctests that call an
optional package skip with a reason. So ``pytest`` on a torch-free install collects and skips
cleanly (``.ci/notorch.sh`` and ``tox -e notorch`` check it).
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).parent

# doctests that call an optional package: doctest item name -> the module it needs
DOCTESTS_NEED = {
    "forge.corpora._zh.jieba_tokenize": "jieba",
    "forge.bench._script.chinese_script": "opencc",
}


def _missing(module: str) -> bool:
    return importlib.util.find_spec(module) is None


# optional packages whose absence leaves a module's doctests out (torch: the neural encoders; numba: the fused
# analogy kernels, the `fast` extra)
_OPTIONAL_MISSING = {m for m in ("torch", "numba") if _missing(m)}


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Without torch (or numba), leave out the doctests of forge modules that need it to import.

    The module is imported here, as doctest collection would import it: one that fails with
    ``ModuleNotFoundError: No module named 'torch'`` (or 'numba'; directly or through another forge module)
    is left out; any other import error is left for the collection to report.
    """
    if not _OPTIONAL_MISSING or collection_path.suffix != ".py":
        return None
    path = collection_path.resolve()
    if not path.is_relative_to(ROOT / "forge") or path.name == "__main__.py":
        return None  # tests/ files skip themselves (pytest.importorskip); doctests never import __main__
    parts = path.relative_to(ROOT).with_suffix("").parts
    name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        return True if (exc.name or "").split(".")[0] in _OPTIONAL_MISSING else None
    except Exception:
        return None
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module = DOCTESTS_NEED.get(item.name)
        if module is not None and _missing(module):
            item.add_marker(pytest.mark.skip(reason=f"this doctest needs the optional package {module!r}"))

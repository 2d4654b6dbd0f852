"""infra/lazy_sdk.py on a small package laid out as pulumi-language-python generates one: what it defers, what
it defines on use, and the plain import where a file is not laid out that way. (The whole-plan equivalence
with the real SDKs is tests/infra/test_fast_paths.py.)"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from infra import lazy_sdk

HEADER = f"# coding=utf-8\n{lazy_sdk.GENERATED}\n\n"
FILES = {
    "__init__.py": HEADER + "from .widget import *\nfrom .gadget import *\nfrom ._inputs import *\n"
                            "from . import outputs\nLOADED = []\n",
    "widget.py": HEADER + "from . import outputs\nfrom ._inputs import *\n__all__ = ['WidgetArgs', 'Widget']\n"
                          "class WidgetArgs:\n    size: 'SizeArgs'\n"
                          "class Widget:\n    def shape(self) -> 'outputs.Shape':\n        ...\n",
    "gadget.py": HEADER + "import fakesdk\nfakesdk.LOADED.append('gadget')\n__all__ = ['Gadget']\n"
                          "class Gadget:\n    pass\n",
    "_inputs.py": HEADER + "import sys\n\n\ndef keep(cls):\n    return cls\n\n\n"
                           "__all__ = [\n    'SizeArgs',\n    'UnitArgs',\n    'OtherArgs',\n]\n\n"
                           "class SizeArgs:\n    unit: 'UnitArgs'\n\n    def size(self):\n        return 1\n\n"
                           "class UnitArgs:\n    pass\n\n"
                           "@keep\nclass OtherArgs(UnitArgs):\n    pass\n",
    "outputs.py": "# written by hand: not the generated layout\n__all__ = ['Shape']\nclass Shape:\n    pass\n",
}


@pytest.fixture
def fakesdk(tmp_path, monkeypatch):
    package = tmp_path / "fakesdk"
    package.mkdir()
    for name, text in FILES.items():
        (package / name).write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    finder = lazy_sdk._Finder(("fakesdk",))
    monkeypatch.setattr(sys, "meta_path", [finder, *sys.meta_path])
    monkeypatch.setattr(lazy_sdk, "_CACHES", {})
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    yield package
    forget()


def forget() -> None:
    """A new process, as far as the fake SDK goes: its modules and the code caches read for it gone."""
    for name in [name for name in sys.modules if name.partition(".")[0] == "fakesdk"]:
        del sys.modules[name]
    lazy_sdk._CACHES.clear()


def test_names_load_on_use_and_only_what_they_need(fakesdk):
    import fakesdk

    assert "fakesdk.widget" not in sys.modules and "fakesdk.gadget" not in sys.modules
    assert fakesdk.Widget.__module__ == "fakesdk.widget"
    assert "fakesdk.gadget" not in sys.modules  # the star-import of gadget was deferred
    inputs = sys.modules["fakesdk._inputs"]
    # widget mentions SizeArgs, which names UnitArgs: both defined; OtherArgs never named, never defined
    assert {"SizeArgs", "UnitArgs"} <= vars(inputs).keys() and "OtherArgs" not in vars(inputs)
    assert fakesdk.Gadget.__name__ == "Gadget" and fakesdk.LOADED == ["gadget"]


def test_a_class_defined_on_use_keeps_its_file_and_line(fakesdk):
    import fakesdk

    other = fakesdk.OtherArgs  # decorated, with a base class named without quotes
    assert issubclass(other, fakesdk.UnitArgs)
    code = fakesdk.SizeArgs.size.__code__
    assert code.co_filename == sys.modules["fakesdk._inputs"].__file__  # tracebacks name the SDK's file
    assert code.co_firstlineno == Path(code.co_filename).read_text().splitlines().index("    def size(self):") + 1


def test_a_file_not_laid_out_as_generated_runs_whole(fakesdk):
    import fakesdk

    assert vars(fakesdk.outputs)["Shape"].__name__ == "Shape"  # defined by the plain import, not on use
    with pytest.raises(AttributeError, match="has no attribute 'Nothing'"):
        fakesdk.Nothing  # noqa: B018


def test_compiled_classes_are_kept_beside_the_bytecode_and_used_by_the_next_run(fakesdk, monkeypatch):
    import fakesdk as first

    first.OtherArgs, first.SizeArgs  # noqa: B018
    lazy_sdk.save_caches()
    cached = sorted(p.name for p in (fakesdk / "__pycache__").glob("*.golden-path.marshal"))
    assert cached == [f"{name}.{sys.implementation.cache_tag}.golden-path.marshal" for name in ("__init__", "_inputs")]
    forget()

    def no_compiling(*args, **kwargs):
        raise AssertionError("compiled, not read from the cache")

    monkeypatch.setattr(lazy_sdk, "compile", no_compiling, raising=False)
    read_text = Path.read_text

    def not_the_classes(path: Path, *args, **kwargs) -> str:
        assert path.name != "_inputs.py", "read, though its layout and classes are cached"
        return read_text(path, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", not_the_classes)
    import fakesdk as second

    assert issubclass(second.OtherArgs, second.UnitArgs)
    code = second.SizeArgs.size.__code__  # the file and line survive the cache
    assert code.co_firstlineno == read_text(Path(code.co_filename)).splitlines().index("    def size(self):") + 1


def test_a_changed_file_is_compiled_again(fakesdk):
    import fakesdk as first

    assert first.SizeArgs().size() == 1
    lazy_sdk.save_caches()
    forget()
    inputs = fakesdk / "_inputs.py"
    inputs.write_text(inputs.read_text().replace("return 1\n", "return 22\n"))  # another size: a stale cache
    import fakesdk as second

    assert second.SizeArgs().size() == 22


def test_no_cache_is_written_when_python_writes_no_bytecode(fakesdk, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # PYTHONDONTWRITEBYTECODE, python -B
    import fakesdk as first

    first.OtherArgs  # noqa: B018
    lazy_sdk.save_caches()
    assert not list(fakesdk.glob("__pycache__/*.golden-path.marshal"))


def test_a_cache_file_that_is_not_ours_is_compiled_over(fakesdk):
    import fakesdk as first

    first.SizeArgs  # noqa: B018
    lazy_sdk.save_caches()
    forget()
    for cache in (fakesdk / "__pycache__").glob("*.golden-path.marshal"):
        cache.write_bytes(b"\x00 not marshal data")  # a torn write, another tool's file
    import fakesdk as second

    assert second.SizeArgs().size() == 1

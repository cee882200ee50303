"""examples_dir finds the repository's examples/; load_script imports a script as a registered module."""

import pickle
import sys
import textwrap
from pathlib import Path

import pytest

from nemo.core.testing import examples_dir, load_script
from nemo.core.testing.scripts import _module_name

SCRIPT = '''
import dataclasses
import sys

RAN_MAIN = []


@dataclasses.dataclass
class Options:
    name: "str" = "x"  # a string annotation: dataclasses look the module up in sys.modules


def double(value):
    return 2 * value


if __name__ == "__main__":
    RAN_MAIN.append(True)
    sys.exit("the main block must not run on import")
'''


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "tools" / "my-script.py"
    path.parent.mkdir()
    path.write_text(textwrap.dedent(SCRIPT))
    yield path
    sys.modules.pop(_module_name(path), None)
    sys.modules.pop("custom_name", None)


def test_examples_dir_from_this_file_and_from_a_start_folder(tmp_path):
    here = examples_dir()
    assert here.name == "examples" and (here / "asr" / "speech_to_text.py").is_file()
    assert here == Path(__file__).resolve().parents[5] / "examples"
    assert examples_dir("asr", "conf") == here / "asr" / "conf"
    (tmp_path / "repo" / "examples").mkdir(parents=True)
    (tmp_path / "repo" / "noxfile.py").touch()
    (tmp_path / "repo" / "pkg" / "tests" / "examples").mkdir(parents=True)  # example tests, not the examples
    start = tmp_path / "repo" / "pkg" / "tests" / "models"
    assert examples_dir("nlp", start=start) == tmp_path / "repo" / "examples" / "nlp"
    with pytest.raises(FileNotFoundError, match="no examples/ folder above"):
        examples_dir(start=tmp_path / "not_a_checkout")


def test_load_script_registers_the_module_without_running_main(script):
    module = load_script(script)
    assert module.__name__ == "script_tools_my_script" and sys.modules[module.__name__] is module
    assert module.RAN_MAIN == [] and module.Options().name == "x"
    assert pickle.loads(pickle.dumps(module.double))(3) == 6  # found by name, as worker processes need
    again = load_script(script)
    assert again is not module and sys.modules[module.__name__] is again  # a fresh module each time
    assert load_script(script, name="custom_name").__name__ == "custom_name"


def test_load_script_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no script at"):
        load_script(tmp_path / "missing.py")
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('broken at import')\n")
    with pytest.raises(RuntimeError, match="broken at import"):
        load_script(broken)
    assert _module_name(broken) not in sys.modules

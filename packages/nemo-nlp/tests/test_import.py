import importlib.metadata

import nemo.collections.nlp as collection


def test_version_matches_distribution_metadata():
    assert collection.__version__ == importlib.metadata.version("nemo-nlp")


def test_depends_on_nemo_core_only():
    requires = importlib.metadata.requires("nemo-nlp") or []
    runtime = [r for r in requires if "extra ==" not in r]  # test extras may add nemo-expmanager for the examples
    ours = sorted(r.split(">")[0].split("<")[0].split("=")[0].strip() for r in runtime if r.startswith("nemo"))
    assert ours == ["nemo-core"]

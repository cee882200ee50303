"""The distribution declares nemo-core as its only nemo dependency (test extras may add more)."""

import importlib.metadata


def test_depends_on_nemo_core_only():
    requires = importlib.metadata.requires("nemo-asr") or []
    runtime = [r for r in requires if "extra ==" not in r]  # test extras may add nemo-expmanager for the examples
    ours = sorted(r.split(">")[0].split("<")[0].split("=")[0].strip() for r in runtime if r.startswith("nemo"))
    assert ours == ["nemo-core"]

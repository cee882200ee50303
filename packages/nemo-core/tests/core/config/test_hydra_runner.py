"""hydra_runner: the seed's Configuration section (CLI > YAML > dataclass; =, +, ~, --config-path, --config-name).

Each scenario runs a small script in a subprocess, as a user would, from a working directory other than the script's
folder; the script prints the composed config as JSON.
"""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from nemo.core.config.hydra_runner import hydra_runner

SCRIPT = """
import json
import os
from dataclasses import dataclass, field
from typing import Any, Optional

from omegaconf import OmegaConf

from nemo.core.config.hydra_runner import hydra_runner


@dataclass
class TrainerSchema:
    gpus: int = 0
    max_epochs: int = 1
    accumulate_grad_batches: int = 7


@dataclass
class Schema:
    name: str = "from_dataclass"
    trainer: TrainerSchema = field(default_factory=TrainerSchema)
    model: Any = None
    only_in_dataclass: str = "dataclass_value"


@hydra_runner(config_path="conf", config_name="config", schema=Schema)
def main(cfg):
    print("CFG=" + json.dumps(OmegaConf.to_container(cfg, resolve=True)))
    print("CWD=" + os.getcwd())


if __name__ == "__main__":
    main()
"""

CONFIG_YAML = """
name: from_yaml
trainer:
  gpus: 1
  max_epochs: 10
model:
  train_ds:
    manifest_filepath: /data/train.json
    batch_size: 256
  test_ds:
    manifest_filepath: /data/test.json
    batch_size: 32
  optim:
    name: novograd
    lr: 0.01
"""

OTHER_YAML = """
name: quartznet
trainer:
  max_epochs: 100
model:
  encoder:
    repeat: 5
"""


@pytest.fixture
def app(tmp_path):
    """``app/speech.py`` with ``app/conf/config.yaml`` and ``app/conf/quartznet/quartznet_15x5.yaml``; cwd ``run/``."""
    app_dir = tmp_path / "app"
    (app_dir / "conf" / "quartznet").mkdir(parents=True)
    (app_dir / "speech.py").write_text(SCRIPT)
    (app_dir / "conf" / "config.yaml").write_text(CONFIG_YAML)
    (app_dir / "conf" / "quartznet" / "quartznet_15x5.yaml").write_text(OTHER_YAML)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    return app_dir, run_dir


def _snapshot(*dirs: Path) -> set:
    return {p for d in dirs for p in d.rglob("*") if "__pycache__" not in p.parts}


def _run(app, *overrides: str, expect_ok: bool = True) -> subprocess.CompletedProcess:
    app_dir, run_dir = app
    before = _snapshot(app_dir, run_dir)
    proc = subprocess.run(
        [sys.executable, str(app_dir / "speech.py"), *overrides],
        cwd=run_dir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (proc.returncode == 0) == expect_ok, proc.stdout + proc.stderr
    # No .hydra/, outputs/<date>/ or <job>.log anywhere: neither next to the script nor in the working directory.
    assert _snapshot(app_dir, run_dir) == before
    return proc


def _cfg(proc: subprocess.CompletedProcess) -> dict:
    line = next(x for x in proc.stdout.splitlines() if x.startswith("CFG="))
    return json.loads(line[len("CFG=") :])


def test_yaml_overrides_dataclass_and_cwd_is_unchanged(app):
    proc = _run(app)
    cfg = _cfg(proc)
    assert cfg["name"] == "from_yaml"  # YAML > dataclass
    assert cfg["trainer"] == {"gpus": 1, "max_epochs": 10, "accumulate_grad_batches": 7}
    assert cfg["only_in_dataclass"] == "dataclass_value"  # dataclass fills what the YAML lacks
    assert cfg["model"]["optim"] == {"name": "novograd", "lr": 0.01}
    assert f"CWD={app[1]}" in proc.stdout.splitlines()


def test_cli_overrides_add_and_delete(app):
    cfg = _cfg(
        _run(
            app,
            "model.train_ds.manifest_filepath=/my/train.json",
            "trainer.gpus=2",
            "trainer.max_epochs=50",
            "+trainer.fast_dev_run=true",
            "~model.test_ds",
            "only_in_dataclass=from_cli",
        )
    )
    assert cfg["trainer"] == {"gpus": 2, "max_epochs": 50, "accumulate_grad_batches": 7, "fast_dev_run": True}
    assert cfg["model"]["train_ds"] == {"manifest_filepath": "/my/train.json", "batch_size": 256}
    assert "test_ds" not in cfg["model"]
    assert cfg["only_in_dataclass"] == "from_cli"  # CLI > dataclass


def test_config_path_and_config_name(app):
    cfg = _cfg(_run(app, "--config-path=conf/quartznet", "--config-name=quartznet_15x5", "trainer.max_epochs=3"))
    assert cfg["name"] == "quartznet"
    assert cfg["model"] == {"encoder": {"repeat": 5}}
    # The schema is registered under the --config-name, so it still supplies the defaults.
    assert cfg["trainer"] == {"gpus": 0, "max_epochs": 3, "accumulate_grad_batches": 7}
    assert cfg["only_in_dataclass"] == "dataclass_value"


def test_config_name_without_yaml_uses_the_dataclass_alone(app):
    cfg = _cfg(_run(app, "--config-name=pure_python", "trainer.max_epochs=4"))
    assert cfg == {
        "name": "from_dataclass",
        "trainer": {"gpus": 0, "max_epochs": 4, "accumulate_grad_batches": 7},
        "model": None,
        "only_in_dataclass": "dataclass_value",
    }


def test_schema_types_are_enforced_on_the_cli(app):
    proc = _run(app, "trainer.max_epochs=many", expect_ok=False)
    assert "trainer.max_epochs" in proc.stderr and "many" in proc.stderr


def test_unknown_key_needs_plus(app):
    proc = _run(app, "trainer.not_a_key=1", expect_ok=False)
    assert "not_a_key" in proc.stderr


def test_config_name_with_directory_part_is_rejected_with_a_schema(app):
    proc = _run(app, "--config-name=quartznet/quartznet_15x5", expect_ok=False)
    assert "--config-name must be a bare name" in proc.stderr
    assert "--config-path" in proc.stderr


def test_cfg_passthrough_calls_main_directly():
    seen = []

    @hydra_runner(config_path="conf", config_name="config")
    def main(cfg):
        seen.append(cfg)
        return cfg.trainer.max_epochs * 2

    cfg = OmegaConf.create({"trainer": {"max_epochs": 21}})
    assert main(cfg_passthrough=cfg) == 42
    assert seen == [cfg] and seen[0] is cfg
    assert main.__name__ == "main"  # functools.wraps keeps the script's function name (Hydra's task name)


def test_schema_without_any_config_name_is_a_clear_error(tmp_path):
    script = tmp_path / "noname.py"
    script.write_text(
        textwrap.dedent(
            """
            from dataclasses import dataclass
            from nemo.core.config.hydra_runner import hydra_runner

            @dataclass
            class S:
                x: int = 1

            @hydra_runner(schema=S)
            def main(cfg):
                print(cfg)

            main()
            """
        )
    )
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "needs a config name" in proc.stderr

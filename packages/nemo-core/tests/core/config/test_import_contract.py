"""``nemo.core.config`` gives the optimizer and scheduler params without Hydra; the rest loads it on first use."""

import subprocess
import sys


def test_optimizer_and_scheduler_params_come_without_hydra():
    code = (
        "import sys; from nemo.core.config import AdamParams, CosineAnnealingParams; "
        "print('hydra' in sys.modules); from nemo.core.config import hydra_runner, TrainerConfig; "
        "from hydra.core.config_store import ConfigStore; "
        "print('hydra' in sys.modules, ConfigStore.instance().load('trainer/trainer.yaml').node.max_steps)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["False", "True -1"]


def test_every_exported_name_resolves():
    import nemo.core.config as config

    assert all(getattr(config, name) is not None for name in config.__all__)
    assert set(config.__all__) <= set(dir(config))

"""Two DDP processes on CPU (gloo), started the way Lightning starts them: rank 0 runs the script, and at ``fit`` its
launcher re-runs the script for rank 1, which calls exp_manager again. Both must agree on one experiment folder."""

import os
import re
import subprocess
import sys
from importlib.metadata import version

import pytest
from packaging.version import Version

SCRIPT = """
import sys

from nemo.core.testing import quiet_cpu_trainer
from nemo.core.testing.tiny_models import TinyRegression
from nemo.utils.exp_manager import exp_manager

trainer = quiet_cpu_trainer(devices=2, strategy="ddp", max_epochs=2)
log_dir = exp_manager(trainer, {"exp_dir": sys.argv[1], "name": "ddp",
                                "checkpoint_callback_params": {"monitor": "train_loss", "save_top_k": 2}})
trainer.fit(TinyRegression(num_samples=32))
print(f"RANK {trainer.global_rank} LOG_DIR {log_dir} STEP {trainer.global_step}", flush=True)
"""


# nemo-expmanager runs on nemo-core>=0.1; only this test's script needs the 0.2 test kit (compat session, core='min').
@pytest.mark.skipif(
    Version(version("nemo-core")) < Version("0.2"),
    reason=f"needs nemo-core>=0.2 (nemo.core.testing.tiny_models); installed: nemo-core {version('nemo-core')}",
)
@pytest.mark.slow(reason="two DDP processes, each importing torch and Lightning")
def test_two_ddp_processes_share_one_experiment(tmp_path):
    script = tmp_path / "train_ddp.py"
    script.write_text(SCRIPT)
    env = {k: v for k, v in os.environ.items() if k not in ("NEMO_EXPM_VERSION", "LOCAL_RANK", "RANK", "WORLD_SIZE")}
    env["OMP_NUM_THREADS"] = "1"
    exp_dir = tmp_path / "exp"
    result = subprocess.run(
        [sys.executable, str(script), str(exp_dir)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240
    )
    assert result.returncode == 0, result.stderr[-4000:]
    reports = dict(re.findall(r"RANK (\d) LOG_DIR (\S+) STEP 8", result.stdout + result.stderr))
    assert set(reports) == {"0", "1"}, result.stdout + result.stderr[-3000:]
    [version] = list((exp_dir / "ddp").iterdir())
    assert reports["0"] == reports["1"] == str(version)
    files = sorted(p.name for p in version.iterdir() if p.is_file() and not p.name.startswith("events."))
    # shared records once (rank 0), one NeMo log per rank
    assert files == [
        "cmd-args.log",
        "hparams.yaml",
        "lightning_logs.txt",
        "nemo_error_log.txt",
        "nemo_log_globalrank-0_localrank-0.txt",
        "nemo_log_globalrank-1_localrank-1.txt",
    ]
    assert len(list(version.glob("events.out.tfevents.*"))) == 1
    checkpoints = sorted(p.name for p in (version / "checkpoints").iterdir())
    assert len(checkpoints) == 2 + 3, checkpoints  # top-2, last, end, .nemo: one set, written by rank 0
    assert "ddp.nemo" in checkpoints and "ddp--end.ckpt" in checkpoints

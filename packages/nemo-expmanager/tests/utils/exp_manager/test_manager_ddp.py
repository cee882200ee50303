"""Two DDP processes on CPU (gloo), started the way Lightning starts them: rank 0 runs the script, and at ``fit`` its
launcher re-runs the script for rank 1, which calls exp_manager again. Both must agree on one experiment folder."""

import os
import re
import subprocess
import sys

import pytest

SCRIPT = """
import sys

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

from nemo.core.testing import quiet_cpu_trainer
from nemo.utils.exp_manager import exp_manager


class Model(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(4, 1)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.layer(x), y)
        self.log("train_loss", loss, sync_dist=True)
        return loss

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)

    def train_dataloader(self):
        x = torch.randn(32, 4, generator=torch.Generator().manual_seed(0))
        return DataLoader(TensorDataset(x, x.sum(dim=1, keepdim=True)), batch_size=4)

    def save_to(self, path):
        torch.save(self.state_dict(), path)


trainer = quiet_cpu_trainer(devices=2, strategy="ddp", max_epochs=2)
log_dir = exp_manager(trainer, {"exp_dir": sys.argv[1], "name": "ddp",
                                "checkpoint_callback_params": {"monitor": "train_loss", "save_top_k": 2}})
trainer.fit(Model())
print(f"RANK {trainer.global_rank} LOG_DIR {log_dir} STEP {trainer.global_step}", flush=True)
"""


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

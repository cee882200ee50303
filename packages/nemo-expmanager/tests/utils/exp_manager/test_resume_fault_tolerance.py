"""Kill a training run with SIGKILL at random steps and check that auto-resume ends exactly where an uninterrupted
run ends: same global step, bit-identical weights (optimizer, scheduler, loops and data position all restored).

The runs are separate processes forked from a multiprocessing forkserver that imported torch and Lightning once, so
seven training processes cost one interpreter start-up.
"""

import multiprocessing
import os
import random
import runpy
import signal

import pytest
import torch

TOTAL_STEPS = 12  # 3 epochs of 4 batches

SCRIPT = '''
import pytorch_lightning as pl
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from nemo.core.testing import quiet_cpu_trainer
from nemo.utils.exp_manager import exp_manager

torch.set_num_threads(1)


class ResumableLoader(DataLoader):
    """Remembers how many batches of the epoch were handed out, so a mid-epoch resume continues at the next one
    (Lightning saves and restores loaders that have state_dict/load_state_dict)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.consumed, self.skip = 0, 0

    def __iter__(self):
        skip, self.skip = self.skip, 0
        for index, batch in enumerate(super().__iter__()):
            if index >= skip:
                self.consumed = index + 1
                yield batch

    def state_dict(self):
        return {"consumed": self.consumed}

    def load_state_dict(self, state):
        # a checkpoint taken after the epoch's last batch resumes into the next epoch, which starts from the top
        self.skip = state["consumed"] if state["consumed"] < len(self) else 0


class Model(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))

    def training_step(self, batch, batch_idx):
        x, y = batch
        return nn.functional.mse_loss(self.net(x), y)

    def configure_optimizers(self):
        optimizer = torch.optim.Adam(self.parameters(), lr=0.05)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
        return [optimizer], [{"scheduler": scheduler, "interval": "step"}]

    def train_dataloader(self):
        x = torch.randn(16, 4, generator=torch.Generator().manual_seed(0))
        return ResumableLoader(TensorDataset(x, x.sum(dim=1, keepdim=True)), batch_size=4)


class Report(pl.Callback):
    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        CONN.send(("step", trainer.global_step))


pl.seed_everything(0, verbose=False)
trainer = quiet_cpu_trainer(max_epochs=3, callbacks=[Report()])
exp_manager(trainer, {"exp_dir": EXP_DIR, "name": "fault", "resume_if_exists": True,
                      "resume_ignore_no_checkpoint": True, "log_step_timing": False,
                      "checkpoint_callback_params": {"monitor": None, "every_n_train_steps": 1, "verbose": False}})
CONN.send(("resumed_from", trainer.ckpt_path))
model = Model()
trainer.fit(model)
torch.save(model.state_dict(), FINAL)
CONN.send(("done", trainer.global_step))
'''


@pytest.fixture(scope="module")
def forkserver():
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["torch", "pytorch_lightning", "nemo.utils.exp_manager"])
    return context


def start(context, script, exp_dir, final):
    receiver, sender = context.Pipe(duplex=False)
    globals_ = {"CONN": sender, "EXP_DIR": str(exp_dir), "FINAL": str(final)}
    process = context.Process(
        target=runpy.run_path, args=(str(script),), kwargs={"init_globals": globals_, "run_name": "__main__"}
    )
    process.start()
    sender.close()
    return process, receiver


def messages(receiver, timeout=120):
    while receiver.poll(timeout):
        try:
            yield receiver.recv()
        except EOFError:
            return


def run_to_end(context, script, exp_dir, final):
    process, receiver = start(context, script, exp_dir, final)
    events = dict(m for m in messages(receiver) if m[0] != "step")
    process.join(60)
    assert process.exitcode == 0, f"training process failed with exit code {process.exitcode}"
    return events


def run_and_kill(context, script, exp_dir, final, kill_step):
    process, receiver = start(context, script, exp_dir, final)
    for kind, value in messages(receiver):
        if kind == "step" and value >= kill_step:
            os.kill(process.pid, signal.SIGKILL)
            break
    process.join(60)
    assert process.exitcode == -signal.SIGKILL, f"run was not killed at step {kill_step} (exit {process.exitcode})"


@pytest.mark.slow(reason="seven training processes killed and resumed")
def test_sigkilled_runs_resume_to_the_same_final_state(tmp_path, forkserver):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    reference = run_to_end(forkserver, script, tmp_path / "reference", tmp_path / "reference.pt")
    assert reference == {"resumed_from": None, "done": TOTAL_STEPS}
    expected = torch.load(tmp_path / "reference.pt", weights_only=True)

    seed = int(os.environ.get("NEMO_FAULT_TEST_SEED", random.randrange(10**6)))
    kill_steps = sorted(random.Random(seed).sample(range(2, TOTAL_STEPS), 3))
    for kill_step in kill_steps:
        exp_dir, final = tmp_path / f"killed_at_{kill_step}", tmp_path / f"killed_at_{kill_step}.pt"
        context = f"kill step {kill_step} (NEMO_FAULT_TEST_SEED={seed})"
        run_and_kill(forkserver, script, exp_dir, final, kill_step)
        assert not final.exists(), context
        resumed = run_to_end(forkserver, script, exp_dir, final)
        assert resumed["resumed_from"] is not None and resumed["resumed_from"].endswith("-last.ckpt"), context
        assert resumed["done"] == TOTAL_STEPS, context
        weights = torch.load(final, weights_only=True)
        for key, value in expected.items():
            assert torch.equal(weights[key], value), f"{key} differs after {context}"
        checkpoints = sorted(p.name for p in (exp_dir / "fault" / "checkpoints").iterdir())
        # no files left over by the kill: the latest checkpoint, the last one and the end one
        assert checkpoints == ["fault--end.ckpt", "fault--epoch=2-step=12-last.ckpt", "fault--epoch=2-step=12.ckpt"], (
            context,
            checkpoints,
        )

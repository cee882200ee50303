"""``list_available_models`` names only checkpoints this package builds, and each listed class restores through
``from_pretrained`` from a loopback HTTP server (nemo-core's ``LoopbackHub``).

Every entry's name must belong to a family in FAMILIES (the family's model class and a shipped config of its
layout); a tiny archive of that family is served at the entry's own URL path, so ``asr.ASRModel.from_pretrained(name)``
runs the real lookup (the entry's class), download, cache and restore. The default suite restores one entry of each
listed class; the slow test restores every entry.
"""

import re
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple
from urllib.parse import urlsplit

import pytest
import torch
from asr_models_testing import LABELS, make_tokenizer_dir
from omegaconf import OmegaConf

import nemo.collections.asr.models as asr
from nemo.core import pretrained_cache
from nemo.core.classes.model import PretrainedModelInfo
from nemo.core.testing import examples_dir
from nemo.core.testing.hub_server import LoopbackHub

CONF = examples_dir("asr", "conf")
LISTING_CLASSES = (
    asr.EncDecCTCModel,
    asr.EncDecCTCModelBPE,
    asr.EncDecClassificationModel,
    asr.EncDecRNNTModel,
    asr.EncDecRNNTBPEModel,
    asr.EncDecSpeakerLabelModel,
)
SHRINK_CONFORMER = {"n_layers": 1, "d_model": 32, "n_heads": 4, "subsampling_conv_channels": 8}


def _char_citrinet(cfg: Any) -> None:
    """Citrinet over characters (NGC's Mandarin Citrinet is a character model)."""
    cfg.pop("tokenizer")
    cfg.labels = LABELS
    cfg.decoder.vocabulary = LABELS
    cfg.decoder.num_classes = len(LABELS)


def _shrink_conformer(cfg: Any) -> None:
    cfg.encoder.update(SHRINK_CONFORMER)


def _with_tokenizer(cfg: Any) -> None:
    cfg.tokenizer = {"dir": None, "type": "bpe"}  # the directory is filled in when the archive is made


def _as_is(cfg: Any) -> None:
    """The shipped CPU config already has the family's layout at a test's size."""


# (name pattern, model class, shipped config of the layout, edit) in the order names are matched: the first wins.
FAMILIES: List[Tuple[str, type, str, Callable[[Any], None]]] = [
    (r"quartznet|jasper|talknet_aligner", asr.EncDecCTCModel, "config.yaml", _as_is),
    (r"^stt_zh_citrinet", asr.EncDecCTCModel, "citrinet/citrinet_small.yaml", _char_citrinet),
    (r"citrinet", asr.EncDecCTCModelBPE, "citrinet/citrinet_small.yaml", _as_is),
    (r"conformer_ctc", asr.EncDecCTCModelBPE, "conformer/conformer_ctc_bpe.yaml", _shrink_conformer),
    (r"conformer_transducer", asr.EncDecRNNTBPEModel, "conformer/conformer_transducer_small.yaml", _with_tokenizer),
    (r"contextnet", asr.EncDecRNNTBPEModel, "contextnet_rnnt/contextnet_rnnt_small.yaml", _with_tokenizer),
    (r"matchboxnet", asr.EncDecClassificationModel, "matchboxnet/matchboxnet_3x1x64_v1.yaml", _as_is),
    (r"marblenet", asr.EncDecClassificationModel, "marblenet/marblenet_3x2x64.yaml", _as_is),
    (r"speakernet|titanet", asr.EncDecSpeakerLabelModel, "speaker/titanet-cpu.yaml", _as_is),
]


def _family(name: str) -> int:
    matches = [i for i, (pattern, *_) in enumerate(FAMILIES) if re.search(pattern, name, re.IGNORECASE)]
    assert matches, f"list_available_models names {name!r}, which no family of this package's configs builds"
    return matches[0]


def _listed() -> Dict[str, PretrainedModelInfo]:
    return {info.pretrained_model_name: info for info in asr.ASRModel.list_available_models()}


def test_every_listed_entry_is_a_family_this_package_builds_with_its_class():
    listed = _listed()
    assert len(listed) == 46
    for name, info in listed.items():
        assert info.class_ is FAMILIES[_family(name)][1], name
    assert {info.class_ for info in listed.values()} == set(LISTING_CLASSES) - {asr.EncDecRNNTModel}
    assert asr.EncDecRNNTModel.list_available_models() == []  # NeMo publishes its transducers as sub-word models


class _Archives:
    """One archive per family, made on first use: its bytes and the model's state dict."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._made: Dict[int, Tuple[bytes, Dict[str, torch.Tensor]]] = {}

    def __call__(self, family: int) -> Tuple[bytes, Dict[str, torch.Tensor]]:
        if family not in self._made:
            _, model_class, config, edit = FAMILIES[family]
            cfg = OmegaConf.load(CONF / config).model
            for split in ("train_ds", "validation_ds", "test_ds"):
                if split in cfg:
                    cfg[split].manifest_filepath = None
            edit(cfg)
            if "tokenizer" in cfg:
                cfg.tokenizer.dir = str(make_tokenizer_dir(self.folder / f"spe{family}", vocab_size=24))
            torch.manual_seed(family)
            model = model_class(cfg=cfg)
            path = self.folder / f"family{family}.nemo"
            model.save_to(str(path))
            self._made[family] = (path.read_bytes(), {k: v.clone() for k, v in model.state_dict().items()})
        return self._made[family]


@pytest.fixture(scope="module")
def archives(tmp_path_factory) -> _Archives:
    return _Archives(tmp_path_factory.mktemp("archives"))


@pytest.fixture
def served(archives, tmp_path, monkeypatch) -> Iterator[Callable[[List[str]], LoopbackHub]]:
    """``served(names)``: a loopback server holding the family archive of each listed name at that entry's URL path,
    and every listing class's entries moved onto it (same names, files and classes; only the host differs)."""
    for variable in pretrained_cache.OFFLINE_ENVS:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv(pretrained_cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    hubs: List[LoopbackHub] = []

    def serve(names: List[str]) -> LoopbackHub:
        listed = _listed()
        files = {urlsplit(listed[n].location).path.lstrip("/"): archives(_family(n))[0] for n in names}
        hub = LoopbackHub({"ngc": {"main": files}}).__enter__()
        hubs.append(hub)
        for cls in LISTING_CLASSES:
            entries = [
                PretrainedModelInfo(
                    info.pretrained_model_name,
                    info.description,
                    f"{hub.endpoint}/ngc/resolve/main{urlsplit(info.location).path}",
                    class_=info.class_,
                    aliases=info.aliases,
                    sha256=info.sha256,
                )  # fmt: skip
                for info in cls.list_available_models()
            ]
            monkeypatch.setattr(cls, "list_available_models", classmethod(lambda _cls, _entries=entries: _entries))
        return hub

    yield serve
    for hub in hubs:
        hub.__exit__(None, None, None)


def _check_restores(served: Callable[[List[str]], LoopbackHub], archives: _Archives, names: List[str]) -> None:
    hub = served(names)
    for name in names:
        restored = asr.ASRModel.from_pretrained(name)
        _, model_class, *_ = FAMILIES[_family(name)]
        assert type(restored) is model_class, name
        state = archives(_family(name))[1]
        assert restored.state_dict().keys() == state.keys(), name
        for key, value in restored.state_dict().items():
            assert torch.equal(value, state[key]), (name, key)
    downloads = [path for method, path in hub.requests if method == "GET"]
    assert len(downloads) == len(names)  # each archive came from the server, once


def test_one_entry_of_each_listed_class_restores_from_a_loopback_server(served, archives):
    first_of_class: Dict[type, str] = {}
    for name, info in sorted(_listed().items()):
        first_of_class.setdefault(info.class_, name)
    assert len(first_of_class) == 5
    _check_restores(served, archives, sorted(first_of_class.values()))


@pytest.mark.slow
def test_every_listed_entry_restores_from_a_loopback_server(served, archives):
    _check_restores(served, archives, sorted(_listed()))

"""Prove that restoring a tampered ``.nemo`` never runs code, for every model class a package defines.

An attacker edits ``model_config.yaml`` inside an archive. Each node that holds a ``_target_``, each top-level mapping
(where a ``_target_`` could be injected, e.g. ``optim`` or a data set) and a new top-level key are set in turn to
callables that would leave a marker on disk if they ran: a function (``os.makedirs``) and a class outside every
allowed base whose constructor writes a file (``logging.FileHandler``). ``restore_from`` must refuse each with an error
that names the node, and no marker may appear. ``ArchiveSafetySuite`` runs this, and the restore-once check, on every
model class of a collection.
"""

from __future__ import annotations

import importlib
import inspect
import io
import pkgutil
import tarfile
from pathlib import Path
from typing import Any, Callable, Iterator, List, Mapping, Sequence, Tuple

import yaml

__all__ = [
    "ATTACKS",
    "ArchiveSafetySuite",
    "assert_saved_model_safe",
    "assert_tampering_refused",
    "concrete_model_classes",
    "read_config",
    "tamper_points",
    "target_nodes",
    "tampered_copy",
]

# (name, replacement node builder): each would leave ``marker`` on disk if it were ever called.
ATTACKS: Sequence[Tuple[str, Callable[[str], dict]]] = (
    ("function", lambda marker: {"_target_": "os.makedirs", "_args_": [marker]}),
    ("class outside the bases", lambda marker: {"_target_": "logging.FileHandler", "_args_": [marker]}),
)


INJECTED_KEY = "injected_by_attacker"


def concrete_model_classes(package: str, modules: Sequence[str]) -> List[type]:
    """Every non-abstract ``ModelPT`` subclass defined under ``package``, after importing ``modules`` and, for
    packages, every module below them (collections export their models lazily)."""
    from nemo.core.classes.modelPT import ModelPT

    for name in modules:
        module = importlib.import_module(name)
        for info in pkgutil.walk_packages(getattr(module, "__path__", []), prefix=f"{name}."):
            importlib.import_module(info.name)
    found, pending = {}, list(ModelPT.__subclasses__())
    while pending:
        klass = pending.pop()
        pending.extend(klass.__subclasses__())
        if klass.__module__.startswith(package + ".") and not inspect.isabstract(klass):
            found[f"{klass.__module__}.{klass.__qualname__}"] = klass
    return [found[name] for name in sorted(found)]


def target_nodes(config: Any, where: str = "") -> Iterator[str]:
    """Dotted key paths (``a.b[0].c``) of every mapping in a plain config that holds a ``_target_``."""
    if isinstance(config, dict):
        if "_target_" in config and where:
            yield where
        for key, value in config.items():
            yield from target_nodes(value, f"{where}.{key}" if where else str(key))
    elif isinstance(config, list):
        for index, value in enumerate(config):
            yield from target_nodes(value, f"{where}[{index}]")


def tamper_points(config: dict) -> List[str]:
    """The nodes an attacker would set: every ``_target_`` node, every other top-level mapping, and a new key."""
    points = list(target_nodes(config))
    points += [key for key, value in config.items() if isinstance(value, dict) and key not in points]
    return [*points, INJECTED_KEY]


def _replace(config: Any, path: str, replacement: dict) -> None:
    parts = path.replace("[", ".[").split(".")
    node = config
    for part in parts[:-1]:
        node = node[int(part[1:-1])] if part.startswith("[") else node[part]
    last = parts[-1]
    if last.startswith("["):
        node[int(last[1:-1])] = replacement
    else:
        node[last] = replacement


def _members(archive: Path) -> List[Tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(archive, "r:*") as tar:
        return [(member, tar.extractfile(member).read()) for member in tar.getmembers() if member.isfile()]


def read_config(archive: Path) -> dict:
    """The plain ``model_config.yaml`` of an archive."""
    for member, data in _members(archive):
        if member.name.lstrip("./") == "model_config.yaml":
            return yaml.safe_load(data)
    raise FileNotFoundError(f"{archive} has no model_config.yaml")


def tampered_copy(archive: Path, out: Path, path: str, replacement: dict) -> Path:
    """Write ``out``: ``archive`` with the config node at ``path`` replaced by ``replacement``."""
    config = read_config(archive)
    _replace(config, path, replacement)
    text = yaml.safe_dump(config, sort_keys=False).encode()
    with tarfile.open(out, "w") as tar:
        for member, data in _members(archive):
            if member.name.lstrip("./") == "model_config.yaml":
                data = text
            info = tarfile.TarInfo(member.name)
            info.size, info.mode = len(data), member.mode
            tar.addfile(info, io.BytesIO(data))
    return out


def assert_tampering_refused(model_class: type, archive: Path, work_dir: Path) -> List[str]:
    """Restore every tampered variant of ``archive`` with ``model_class.restore_from``; return the nodes covered.

    Fails unless each restore raises an error naming the node's key and the target, and no marker appears.
    """
    nodes = tamper_points(read_config(archive))
    for index, node in enumerate(nodes):
        for name, attack in ATTACKS:
            marker = work_dir / f"marker-{index}-{name.replace(' ', '-')}"
            replacement = attack(str(marker))
            tampered = tampered_copy(archive, work_dir / f"tampered-{index}.nemo", node, replacement)
            try:
                model_class.restore_from(str(tampered), map_location="cpu")
            except Exception as err:  # noqa: BLE001 - any refusal counts, if it is clear and nothing ran
                message = str(err)
                if node.split("[")[0].split(".")[-1] not in message or replacement["_target_"] not in message:
                    raise AssertionError(
                        f"{model_class.__name__}: the error for a {name} at '{node}' does not name the key and the "
                        f"target: {message}"
                    ) from err
            else:
                raise AssertionError(f"{model_class.__name__} restored an archive whose '{node}' is a {name}")
            if marker.exists():
                raise AssertionError(f"{model_class.__name__}: the {name} at '{node}' ran (it left {marker})")
    return nodes


def assert_saved_model_safe(model_class: type, config: Any, work_dir: Path) -> List[str]:
    """Build ``model_class`` from ``config``, save it, and ``assert_tampering_refused`` on the archive."""
    archive = Path(work_dir) / "model.nemo"
    model_class(cfg=config).save_to(str(archive))
    return assert_tampering_refused(model_class, archive, Path(work_dir))


class ArchiveSafetySuite:
    """The archive tests every collection runs on each of its model classes: build it from its example config, save
    it, then refuse every tampered archive (``assert_saved_model_safe``) and restore it once, quietly and exactly
    (``nemo.core.testing.restore_once``).

    A package's ``tests/models/test_archive_safety.py`` subclasses it as ``TestArchiveSafety`` and sets ``package``
    (its model classes are found under ``<package>.models``), ``example_configs`` (model class name -> a function
    returning the config to build it from; its parameters name pytest fixtures, ``tmp_path`` or the package's own,
    and are filled with them) and optionally ``required_nodes`` (config nodes the tampering must reach) and
    ``restore_once_known_failures`` (model class name -> why its restore is not yet single and quiet: a strict xfail,
    so it fails once fixed until the entry goes). A model class without an example config, or an entry naming no
    model class, fails.
    """

    package: str
    example_configs: Mapping[str, Callable[..., Any]]
    required_nodes: Sequence[str] = ()
    restore_once_known_failures: Mapping[str, str] = {}

    def model_classes(self) -> List[type]:
        """The concrete model classes of ``package`` (each test runs once per class)."""
        return concrete_model_classes(self.package, [f"{self.package}.models"])

    def pytest_generate_tests(self, metafunc: Any) -> None:
        if "model_class" in metafunc.fixturenames:
            metafunc.parametrize("model_class", self.model_classes(), ids=lambda klass: klass.__name__)

    def example_config(self, model_class: type, request: Any) -> Any:
        """The config ``example_configs`` builds for ``model_class``, with the fixtures its builder names."""
        build = self.example_configs.get(model_class.__name__)
        if build is None:
            raise AssertionError(f"{model_class.__name__} has no example config (add one to EXAMPLE_CONFIGS)")
        parameters = inspect.signature(build).parameters.values()
        named = [p.name for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        return build(**{name: request.getfixturevalue(name) for name in named})

    def test_every_model_class_has_an_example_config(self) -> None:
        names, listed = {klass.__name__ for klass in self.model_classes()}, set(self.example_configs)
        assert names == listed, (
            f"model classes without an example config: {sorted(names - listed)}; "
            f"entries naming no model class: {sorted(listed - names)}"
        )

    def test_tampered_config_nodes_are_refused(self, model_class: type, request: Any, tmp_path: Path) -> None:
        covered = assert_saved_model_safe(model_class, self.example_config(model_class, request), tmp_path)
        assert covered and set(self.required_nodes) <= set(covered), (covered, self.required_nodes)

    def test_restore_builds_once_on_the_meta_device_and_quietly(
        self, model_class: type, request: Any, tmp_path: Path
    ) -> None:
        """No fallback to a second, randomly initialised build; one INFO line; every tensor equal to the saved one's."""
        import pytest

        from nemo.core.testing.restore_once import assert_saved_model_restores_once

        reason = self.restore_once_known_failures.get(model_class.__name__)
        if reason:
            request.applymarker(pytest.mark.xfail(reason=reason, strict=True))
        assert_saved_model_restores_once(model_class, self.example_config(model_class, request), tmp_path)

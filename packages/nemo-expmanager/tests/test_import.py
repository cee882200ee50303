import importlib.metadata


def test_version_matches_distribution_metadata():
    from nemo.utils.exp_manager.version import __version__

    assert __version__ == importlib.metadata.version("nemo-expmanager")

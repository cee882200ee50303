"""The distribution's version: a PEP 440 version in normal form, exported by the collection."""

from packaging.version import Version

import nemo.collections.tts as collection
from nemo.collections.tts import version


def test_version_is_pep440_and_exported_by_the_collection():
    assert str(Version(version.__version__)) == version.__version__
    assert collection.__version__ == version.__version__ and "__version__" in collection.__all__

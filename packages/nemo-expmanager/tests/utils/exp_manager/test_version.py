"""The distribution's version: a PEP 440 version in normal form, exported by the package."""

from packaging.version import Version

import nemo.utils.exp_manager as package
from nemo.utils.exp_manager import version


def test_version_is_pep440_and_exported_by_the_package():
    assert str(Version(version.__version__)) == version.__version__
    assert package.__version__ == version.__version__ and "__version__" in package.__all__
